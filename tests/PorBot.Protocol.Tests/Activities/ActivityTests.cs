using System.Text.Json;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Tests.Activities;

/// <summary>Teams channel data is parsed once per activity, and follows the activity when its channel data is replaced.</summary>
public sealed class ActivityTests
{
    [Fact]
    public void GetTeamsChannelData_AskedTwice_GivesTheSameParse()
    {
        var activity = WithChannelData("""{"tenant":{"id":"t1"},"team":{"id":"19:team"}}""");

        Assert.Same(activity.GetTeamsChannelData(), activity.GetTeamsChannelData());
        Assert.Equal("19:team", activity.GetTeamsChannelData()!.Team!.Id);
    }

    [Fact]
    public void GetTeamsChannelData_ChannelDataReplaced_ReadsTheNewOne()
    {
        var activity = WithChannelData("""{"tenant":{"id":"t1"}}""");
        Assert.Equal("t1", activity.TenantId);

        activity.ChannelData = JsonDocument.Parse("""{"tenant":{"id":"t2"}}""").RootElement.Clone();

        Assert.Equal("t2", activity.TenantId);
        activity.ChannelData = null;
        Assert.Null(activity.GetTeamsChannelData());
    }

    [Fact]
    public void GetTeamsChannelData_NotAnObject_IsNull()
    {
        Assert.Null(WithChannelData("[1, 2]").GetTeamsChannelData());
    }

    private static Activity WithChannelData(string json) =>
        ProtocolJson.Deserialize<Activity>($$"""{"type":"message","channelData":{{json}}}""")!;
}
