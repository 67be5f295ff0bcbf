using PorBot.Protocol.Hosting;

namespace PorBot.Protocol.Tests.Hosting;

public class BotRoutesTests
{
    private sealed class Help;
    private sealed class Lookup;
    private sealed class Alerts;
    private sealed class AlertsStatus;

    private static BotRoutes Routes()
    {
        var routes = new BotRoutes();
        routes.AddCommand("help", takesArgument: false, typeof(Help));
        routes.AddCommand("lookup", takesArgument: true, typeof(Lookup));
        routes.AddCommand("alerts", takesArgument: true, typeof(Alerts));
        routes.AddCommand("alerts status", takesArgument: false, typeof(AlertsStatus));
        return routes;
    }

    [Theory]
    [InlineData("lookup contoso.com", typeof(Lookup), "contoso.com")]
    [InlineData("  LOOKUP\tContoso   Ltd ", typeof(Lookup), "Contoso Ltd")]
    [InlineData("Lookup Contoso Ltd", typeof(Lookup), "Contoso Ltd")]
    [InlineData("lookup", typeof(Lookup), "")]
    [InlineData("help", typeof(Help), "")]
    [InlineData(" Help\n", typeof(Help), "")]
    [InlineData("alerts status", typeof(AlertsStatus), "")]
    [InlineData("alerts   STATUS", typeof(AlertsStatus), "")]
    [InlineData("alerts here", typeof(Alerts), "here")]
    [InlineData("alerts status please", typeof(Alerts), "status please")]
    public void FindCommand_TextStartingWithACommandsWords_ReturnsItsHandlerAndTheRestAsArgument(string text, Type handler, string argument)
    {
        var routes = Routes();

        Assert.Equal((handler, argument), routes.FindCommand(text));
        Assert.True(routes.IsCommand(text));
    }

    [Theory]
    [InlineData("help me with Azure")]
    [InlineData("helpful")]
    [InlineData("lookups contoso.com")]
    [InlineData("what is lookup")]
    [InlineData("")]
    [InlineData("   ")]
    public void FindCommand_TextNoCommandTakes_ReturnsNull(string text)
    {
        var routes = Routes();

        Assert.Null(routes.FindCommand(text));
        Assert.False(routes.IsCommand(text));
    }

    [Fact]
    public void FindCommand_NoCommandsRegistered_ReturnsNull() => Assert.Null(new BotRoutes().FindCommand("help"));
}
