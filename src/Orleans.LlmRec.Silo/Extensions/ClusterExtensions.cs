using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;

namespace Orleans.LlmRec.Silo.Extensions;

public static class ClusterExtensions
{
    /// <summary>Section bound onto Orleans' <see cref="ClusterMembershipOptions"/> (failure detection: probes, votes).</summary>
    public const string MembershipSectionName = "Silo:Membership";

    /// <summary>
    /// What a silo needs beyond a single machine: failure-detection settings from <c>Silo:Membership</c> (e.g.
    /// <c>ProbeTimeout</c>, <c>NumMissedProbesLimit</c>; Orleans' defaults otherwise), and the Redis Streams consumer
    /// when <c>EventStream:Enabled</c> is true.
    /// </summary>
    public static IHostApplicationBuilder AddLlmRecCluster(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection(MembershipSectionName));

        services.AddOptions<EventStreamOptions>().BindConfiguration(EventStreamOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var stream = builder.Configuration.GetValidated<EventStreamOptions>(EventStreamOptions.SectionName);
        if (stream.Enabled)
        {
            var silo = builder.Configuration.GetSection(OrleansHostOptions.SectionName).Get<OrleansHostOptions>() ?? new OrleansHostOptions();
            if (string.IsNullOrWhiteSpace(stream.RedisConnectionString) && string.IsNullOrWhiteSpace(silo.RedisConnectionString))
            {
                throw new OptionsValidationException(EventStreamOptions.SectionName, typeof(EventStreamOptions),
                    ["EventStream:RedisConnectionString (or Silo:RedisConnectionString) is required when EventStream:Enabled is true."]);
            }
            services.AddSingleton<EventStreamMetrics>();
            // Registered after the silo, so it starts after it; it also waits for ApplicationStarted before applying.
            services.AddHostedService<RedisStreamConsumer>();
        }
        return builder;
    }
}
