using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.UnitTests;

/// <summary>The rules of the work queue's waiting line, without its dispatcher.</summary>
public class WaitingJobsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    [Fact]
    public void Active_jobs_go_first_and_a_newer_job_of_the_same_user_and_kind_keeps_the_older_ones_place()
    {
        var line = new WaitingJobs(capacity: 10);
        Assert.Equal(LlmEnqueueResult.Queued, line.Add(Job("a", LlmJobPriority.Background), 1, Now, out _));
        Assert.Equal(LlmEnqueueResult.Queued, line.Add(Job("b", LlmJobPriority.Background), 1, Now, out _));
        Assert.Equal(LlmEnqueueResult.Queued, line.Add(Job("c", LlmJobPriority.ActiveUser), 1, Now, out _));
        var newerA = Job("a", LlmJobPriority.Background);
        Assert.Equal(LlmEnqueueResult.Replaced, line.Add(newerA, 7, Now, out var shed));
        Assert.Null(shed);
        Assert.Equal(3, line.Count);

        Assert.Equal("c", line.TakeFirst().Job.UserId);
        var a = line.TakeFirst();
        Assert.Same(newerA, a.Job);
        Assert.Equal(7, a.EstimatedTokens);
        Assert.Equal("b", line.Peek()!.Value.Job.UserId);
    }

    [Fact]
    public void A_background_job_promoted_to_active_moves_to_the_back_of_the_active_group()
    {
        var line = new WaitingJobs(capacity: 10);
        line.Add(Job("a", LlmJobPriority.Background), 1, Now, out _);
        line.Add(Job("b", LlmJobPriority.ActiveUser), 1, Now, out _);
        line.Add(Job("a", LlmJobPriority.ActiveUser), 1, Now, out _);
        Assert.Equal(["b", "a"], [line.TakeFirst().Job.UserId, line.TakeFirst().Job.UserId]);
        Assert.Equal(0, line.Count);
        Assert.Null(line.Peek());
    }

    [Fact]
    public void When_full_the_oldest_background_job_is_shed_then_the_oldest_active_one_for_an_active_newcomer()
    {
        var line = new WaitingJobs(capacity: 2);
        line.Add(Job("bg", LlmJobPriority.Background), 1, Now, out _);
        line.Add(Job("act", LlmJobPriority.ActiveUser), 1, Now, out _);
        Assert.Equal(LlmEnqueueResult.QueuedAfterShedding, line.Add(Job("new", LlmJobPriority.Background), 1, Now, out var shed));
        Assert.Equal("bg", shed!.Value.Job.UserId);

        // Now one active and one background job: an active newcomer still sheds the background one first.
        Assert.Equal(LlmEnqueueResult.QueuedAfterShedding, line.Add(Job("new2", LlmJobPriority.ActiveUser), 1, Now, out shed));
        Assert.Equal("new", shed!.Value.Job.UserId);

        // Only active jobs left: a background newcomer is shed itself, an active one sheds the oldest active.
        Assert.Equal(LlmEnqueueResult.Shed, line.Add(Job("late", LlmJobPriority.Background), 1, Now, out shed));
        Assert.Equal("late", shed!.Value.Job.UserId);
        Assert.Equal(LlmEnqueueResult.QueuedAfterShedding, line.Add(Job("late-active", LlmJobPriority.ActiveUser), 1, Now, out shed));
        Assert.Equal("act", shed!.Value.Job.UserId);
        Assert.Equal(2, line.Count);
    }

    private static RerankJob Job(string userId, LlmJobPriority priority) =>
        new(new RerankRequest(userId, RerankUserContext.Empty, []), priority, (_, _) => Task.CompletedTask);
}
