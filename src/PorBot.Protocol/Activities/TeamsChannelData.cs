using System.Text.Json;
using System.Text.Json.Serialization;

namespace PorBot.Protocol.Activities;

public sealed class TeamsChannelData
{
    public TeamsChannelInfo? Channel { get; set; }
    public string? EventType { get; set; }
    public TeamInfo? Team { get; set; }
    public TenantInfo? Tenant { get; set; }
    public TeamsSettings? Settings { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

public sealed class TeamsChannelInfo
{
    public string? Id { get; set; }
    public string? Name { get; set; }
}

public sealed class TeamInfo
{
    public string? Id { get; set; }
    public string? Name { get; set; }
    public string? AadGroupId { get; set; }
}

public sealed class TenantInfo
{
    public string? Id { get; set; }
}

public sealed class TeamsSettings
{
    public TeamsChannelInfo? SelectedChannel { get; set; }
}
