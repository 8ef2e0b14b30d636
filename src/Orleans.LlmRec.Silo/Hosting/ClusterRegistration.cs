using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;

namespace Orleans.LlmRec.Silo.Hosting;

public static class ClusterRegistration
{
    /// <summary>
    /// What a silo needs beyond a single machine: the Redis Streams consumer when <c>EventStream:Enabled</c> is true
    /// (its connection string is checked by <see cref="ServiceSettings"/>). Failure detection (<c>Silo:Membership</c>)
    /// is configured with the silo, <see cref="OrleansRegistration"/>.
    /// </summary>
    public static IHostApplicationBuilder AddLlmRecCluster(this IHostApplicationBuilder builder, ServiceSettings settings)
    {
        builder.Services.AddHostedService<Cluster.MembershipLog>();
        if (settings.EventStream.Enabled)
        {
            builder.Services.AddSingleton<EventStreamMetrics>();
            builder.Services.AddSingleton<DeadConsumerWatch>();
            // Registered after the silo, so it starts after it; it also waits for ApplicationStarted before applying.
            builder.Services.AddHostedService<RedisStreamConsumer>();
            if (settings.EventStream.TrimAcknowledged) builder.Services.AddHostedService<EventStreamTrimmer>();
        }
        return builder;
    }
}
