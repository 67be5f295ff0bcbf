using Microsoft.Extensions.Options;

namespace PorBot.Conflicts;

/// <summary>Section <c>Alerts</c>: how the outbox worker polls and retries.</summary>
public sealed class AlertDeliveryOptions
{
    public const string SectionName = "Alerts";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Rows leased per pass.</summary>
    public int BatchSize { get; set; } = 20;

    /// <summary>
    /// How long a leased row may stay in Sending before it counts as interrupted: after a crash, the rows the
    /// dead process held are picked up once their lease has run out.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after an interrupted post the conversation is checked for it. A post still being processed by
    /// Teams, or not yet listed by Graph, must not be taken for one that never arrived (which would send it twice).
    /// </summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts (the first send included) before a transiently failing row is Failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A zero or negative interval would spin or never run; stop start-up instead.</summary>
internal sealed class AlertDeliveryOptionsValidator : IValidateOptions<AlertDeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, AlertDeliveryOptions o)
    {
        var problems = new List<string>();
        if (o.PollInterval <= TimeSpan.Zero || o.PollInterval > TimeSpan.FromMinutes(10)) problems.Add("Alerts:PollInterval must be more than 0 and at most 10 minutes.");
        if (o.BatchSize is < 1 or > 1000) problems.Add("Alerts:BatchSize must be between 1 and 1000.");
        if (o.LeaseDuration < TimeSpan.FromSeconds(1)) problems.Add("Alerts:LeaseDuration must be at least 1 second (longer than one connector call).");
        if (o.ReconcileAfter < TimeSpan.Zero || o.ReconcileAfter > TimeSpan.FromDays(1)) problems.Add("Alerts:ReconcileAfter must be between 0 and 1 day.");
        if (o.MaxAttempts < 1) problems.Add("Alerts:MaxAttempts must be at least 1.");
        if (o.RetryBaseDelay <= TimeSpan.Zero) problems.Add("Alerts:RetryBaseDelay must be more than 0.");
        if (o.RetryMaxDelay < o.RetryBaseDelay) problems.Add("Alerts:RetryMaxDelay must be at least Alerts:RetryBaseDelay.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
