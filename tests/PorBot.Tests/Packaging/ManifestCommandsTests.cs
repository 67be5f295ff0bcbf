using System.Text.Json.Nodes;
using PorBot.Protocol.Hosting;

namespace PorBot.Tests.Packaging;

/// <summary>
/// What Teams offers a user must be what the running bot answers: a command in the manifest's command
/// lists without a handler, or a message extension without its invoke route, fails here.
/// </summary>
public sealed class ManifestCommandsTests(ManifestCommandsTests.RunningBot bot) : IClassFixture<ManifestCommandsTests.RunningBot>
{
    private static readonly JsonObject Template = JsonNode.Parse(File.ReadAllText(AppPackageBuild.TemplatePath))!.AsObject();

    public static TheoryData<string, string> ManifestCommands()
    {
        var data = new TheoryData<string, string>();
        foreach (var list in Template["bots"]![0]!["commandLists"]!.AsArray())
        {
            var scopes = string.Join('+', list!["scopes"]!.AsArray().Select(s => (string?)s));
            foreach (var command in list["commands"]!.AsArray()) data.Add(scopes, (string)command!["title"]!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ManifestCommands))]
    public void ManifestCommand_InEveryCommandList_IsRegisteredInTheRunningBot(string scopes, string title)
    {
        var routes = bot.Routes;

        Assert.True(routes.Commands.Contains(title, StringComparer.OrdinalIgnoreCase),
            $"The manifest's {scopes} command list offers '{title}', but the bot has no handler for it. " +
            $"Registered commands: {string.Join(", ", routes.Commands)}");
        Assert.NotNull(routes.FindCommand(title));
    }

    [Fact]
    public void MessageExtension_QueryCommands_HaveTheComposeExtensionQueryRoute()
    {
        var commands = Template["composeExtensions"]![0]!["commands"]!.AsArray();
        Assert.Contains(commands, c => (string?)c!["id"] == "lookup" && (string?)c["type"] == "query");

        var routes = bot.Routes;

        Assert.True(routes.InvokeNames.Contains("composeExtension/query"),
            "The manifest declares the search message extension 'lookup', but the bot has no OnInvoke(\"composeExtension/query\") route. " +
            $"Invoke routes: {string.Join(", ", routes.InvokeNames)}");
    }

    [Fact]
    public void CommandLists_OneForEachBotScope()
    {
        var botEntry = Template["bots"]![0]!;
        var botScopes = botEntry["scopes"]!.AsArray().Select(s => (string)s!).Order(StringComparer.Ordinal);
        var listed = botEntry["commandLists"]!.AsArray().SelectMany(l => l!["scopes"]!.AsArray().Select(s => (string)s!)).ToList();

        Assert.Equal(["groupChat", "personal", "team"], botScopes);
        Assert.Equal(botScopes, listed.Order(StringComparer.Ordinal));
        Assert.Equal(listed.Count, listed.Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>The real app started once (Program.cs registrations), for its route table.</summary>
    public sealed class RunningBot : IAsyncLifetime
    {
        private BotTestHost? _host;

        public BotRoutes Routes => _host?.GetRequiredService<BotRoutes>() ?? throw new InvalidOperationException("not started");

        public async Task InitializeAsync() => _host = await BotTestHost.StartAsync();

        public async Task DisposeAsync()
        {
            if (_host is not null) await _host.DisposeAsync();
        }
    }
}
