using Microsoft.Extensions.Options;

namespace PorBot.Conflicts;

/// <summary>Section <c>Alerts</c>: how the outbox worker polls, retries and paces its sends.</summary>
public sealed class AlertDeliveryOptions
{
    public const string SectionName = "Alerts";

    /// <summary>Teams' limits for one bot in one conversation (bot-protocol.md §5.8, "Send to conversation").</summary>
    public static readonly IReadOnlyList<SendRateLimit> TeamsConversationLimits =
    [
        new() { Sends = 7, Window = TimeSpan.FromSeconds(1) },
        new() { Sends = 8, Window = TimeSpan.FromSeconds(2) },
        new() { Sends = 60, Window = TimeSpan.FromSeconds(30) },
        new() { Sends = 1800, Window = TimeSpan.FromHours(1) },
    ];

    /// <summary>Teams' limit for one app in one tenant, across all its conversations.</summary>
    public static readonly IReadOnlyList<SendRateLimit> TeamsTenantLimits = [new() { Sends = 50, Window = TimeSpan.FromSeconds(1) }];

    /// <summary>How often the worker looks for new or retried rows when it has nothing else to wait for.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Due rows the worker reads ahead in one query; it starts at most <see cref="MaxParallelSends"/> of them at once.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>Sends in flight at once, each to a different conversation (one conversation never has two).</summary>
    public int MaxParallelSends { get; set; } = 16;

    /// <summary>
    /// How long a leased row may stay in Sending before it counts as interrupted. A row is leased only when its send
    /// can start, and a live process gives up on it at half the lease (a send that had begun is then Unknown), so
    /// only a dead process leaves one behind; the next process picks it up once the lease has run out.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long after an interrupted post the conversation is checked for it. A post still being processed by
    /// Teams, or not yet listed by Graph, must not be taken for one that never arrived (which would send it twice).
    /// </summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts (the first send included) before a transiently failing row is Failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Sends allowed per conversation; all must hold. Empty (the default) means <see cref="TeamsConversationLimits"/>.</summary>
    public List<SendRateLimit> ConversationLimits { get; set; } = [];

    /// <summary>Sends allowed per tenant across its conversations. Empty (the default) means <see cref="TeamsTenantLimits"/>.</summary>
    public List<SendRateLimit> TenantLimits { get; set; } = [];

    /// <summary>
    /// How many instances deliver alerts at once (several bots behind a load balancer sharing Azure Storage). The send
    /// limits are kept per process, so each instance takes this share of them (at least 1 send per window): together
    /// they stay within Teams' limits as long as no limit allows fewer sends than there are instances.
    /// </summary>
    public int InstanceCount { get; set; } = 1;

    // Defaults are applied here rather than in the property initialisers: the configuration binder appends to a
    // list it finds filled, so a configured list would be added to Teams' limits instead of replacing them.
    internal IReadOnlyList<SendRateLimit> EffectiveConversationLimits => Share(ConversationLimits.Count > 0 ? ConversationLimits : TeamsConversationLimits);

    internal IReadOnlyList<SendRateLimit> EffectiveTenantLimits => Share(TenantLimits.Count > 0 ? TenantLimits : TeamsTenantLimits);

    private IReadOnlyList<SendRateLimit> Share(IReadOnlyList<SendRateLimit> limits) => InstanceCount <= 1
        ? limits
        : [.. limits.Select(l => new SendRateLimit { Sends = Math.Max(1, l.Sends / InstanceCount), Window = l.Window })];
}

/// <summary>At most <see cref="Sends"/> sends in any <see cref="Window"/>.</summary>
public sealed class SendRateLimit
{
    public int Sends { get; set; }

    public TimeSpan Window { get; set; }

    public override string ToString() => $"{Sends} per {Window}";
}

/// <summary>A zero or negative interval would spin or never run; stop start-up instead.</summary>
internal sealed class AlertDeliveryOptionsValidator : IValidateOptions<AlertDeliveryOptions>
{
    /// <summary>
    /// A live process abandons a send at half its lease and settles it (Unknown once the call began), so no lease
    /// lets a running send be taken for a dead one; the floor only leaves a send time to happen. A lease under twice
    /// the connector's request timeout (30 s) cuts slow calls short, and each such post must then be looked for:
    /// the default (2 min) avoids that, the fault tests use a few seconds to restart quickly.
    /// </summary>
    internal static readonly TimeSpan MinimumLease = TimeSpan.FromSeconds(2);

    public ValidateOptionsResult Validate(string? name, AlertDeliveryOptions o)
    {
        var problems = new List<string>();
        if (o.PollInterval <= TimeSpan.Zero || o.PollInterval > TimeSpan.FromMinutes(10)) problems.Add("Alerts:PollInterval must be more than 0 and at most 10 minutes.");
        if (o.BatchSize is < 1 or > 5000) problems.Add("Alerts:BatchSize must be between 1 and 5000.");
        if (o.MaxParallelSends is < 1 or > 256) problems.Add("Alerts:MaxParallelSends must be between 1 and 256.");
        if (o.LeaseDuration < MinimumLease) problems.Add($"Alerts:LeaseDuration must be at least {MinimumLease} (a send may take half of it).");
        if (o.ReconcileAfter < TimeSpan.Zero || o.ReconcileAfter > TimeSpan.FromDays(1)) problems.Add("Alerts:ReconcileAfter must be between 0 and 1 day.");
        if (o.MaxAttempts < 1) problems.Add("Alerts:MaxAttempts must be at least 1.");
        if (o.RetryBaseDelay <= TimeSpan.Zero) problems.Add("Alerts:RetryBaseDelay must be more than 0.");
        if (o.RetryMaxDelay < o.RetryBaseDelay) problems.Add("Alerts:RetryMaxDelay must be at least Alerts:RetryBaseDelay.");
        if (o.InstanceCount is < 1 or > 1000) problems.Add("Alerts:InstanceCount must be between 1 and 1000 (the number of instances delivering alerts).");
        Check("Alerts:ConversationLimits", o.ConversationLimits, problems);
        Check("Alerts:TenantLimits", o.TenantLimits, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    private static void Check(string key, List<SendRateLimit> limits, List<string> problems)
    {
        for (var i = 0; i < limits.Count; i++)
        {
            var limit = limits[i];
            if (limit.Sends is < 1 or > 100_000) problems.Add($"{key}:{i}:Sends must be between 1 and 100000.");
            if (limit.Window <= TimeSpan.Zero || limit.Window > TimeSpan.FromDays(1)) problems.Add($"{key}:{i}:Window must be more than 0 and at most 1 day.");
        }
    }
}
