namespace PorBot.Bench.Alerts;

/// <summary>
/// The fastest any sender could deliver a fan-out within the limits, with no latency at all: tenants are
/// independent, and within a tenant every instant sends as many as the tenant and the conversations allow,
/// conversations with the most left first. The achieved figures are compared with this.
/// </summary>
public static class IdealSchedule
{
    /// <param name="tenants">For each tenant, the number of sends to each of its conversations.</param>
    /// <returns>Seconds from the first send to the last.</returns>
    public static double LastSendTime(IEnumerable<int[]> tenants, Limit[] conversationLimits, Limit[] tenantLimits) =>
        tenants.Select(t => TenantLastSend(t, conversationLimits, tenantLimits)).DefaultIfEmpty(0).Max();

    private static double TenantLastSend(int[] sends, Limit[] conversationLimits, Limit[] tenantLimits)
    {
        var remaining = (int[])sends.Clone();
        var left = remaining.Sum();
        var conversationLogs = remaining.Select(_ => new List<double>()).ToArray();
        var tenantLog = new List<double>();
        double now = 0, last = 0;
        while (left > 0)
        {
            while (left > 0 && Allows(tenantLog, tenantLimits, now))
            {
                var best = -1;
                for (var i = 0; i < remaining.Length; i++)
                {
                    if (remaining[i] > 0 && (best < 0 || remaining[i] > remaining[best]) && Allows(conversationLogs[i], conversationLimits, now)) best = i;
                }

                if (best < 0) break;
                conversationLogs[best].Add(now);
                tenantLog.Add(now);
                remaining[best]--;
                left--;
                last = now;
            }

            if (left == 0) break;
            // The next instant a window lets one more through.
            var next = double.MaxValue;
            foreach (var (log, limits) in conversationLogs.Select(l => (l, conversationLimits)).Append((tenantLog, tenantLimits)))
            {
                foreach (var limit in limits)
                {
                    foreach (var at in log)
                    {
                        var freed = at + limit.Window.TotalSeconds;
                        if (freed > now && freed < next) next = freed;
                    }
                }
            }

            now = next;
        }

        return last;
    }

    // At most Sends in the window (now - Window, now].
    private static bool Allows(List<double> log, Limit[] limits, double now) =>
        limits.All(limit => log.Count(at => at > now - limit.Window.TotalSeconds) < limit.Sends);
}
