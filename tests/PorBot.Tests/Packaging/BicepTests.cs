using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PorBot.Testing;

namespace PorBot.Tests.Packaging;

/// <summary>infra/main.bicep compiles with the real Bicep CLI, and describes the deployment the README promises.</summary>
public sealed partial class BicepTests(BicepTests.CompiledTemplate compiled) : IClassFixture<BicepTests.CompiledTemplate>
{
    private static readonly string MainBicep = RepoPaths.Combine("infra", "main.bicep");

    [Fact]
    public void BicepBuild_MainTemplate_CompilesWithoutErrorsOrWarnings()
    {
        Assert.True(compiled.Result.ExitCode == 0, $"bicep build failed ({compiled.Result.ExitCode}):\n{compiled.Result.StdErr}");
        Assert.DoesNotContain(": Warning ", compiled.Result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BicepBuild_SyntaxError_FailsWithTheLine()
    {
        var dir = Directory.CreateTempSubdirectory("porbot-bicep-broken-").FullName;
        try
        {
            var broken = Path.Combine(dir, "main.bicep");
            await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(MainBicep)).Replace("kind: 'azurebot'", "kind: 'azurebot',,", StringComparison.Ordinal));

            var result = await Bicep.BuildAsync(broken);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Matches(@"main\.bicep\(\d+,\d+\) : Error BCP\d+", result.StdErr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Template_DeclaresBotTeamsChannelWebAppKeyVaultStorageAndIdentity()
    {
        var types = compiled.Resources.Select(r => (string)r["type"]!).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.Superset(new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "Microsoft.BotService/botServices",
            "Microsoft.BotService/botServices/channels",
            "Microsoft.Web/serverfarms",
            "Microsoft.Web/sites",
            "Microsoft.KeyVault/vaults",
            "Microsoft.KeyVault/vaults/secrets",
            "Microsoft.Storage/storageAccounts",
            "Microsoft.ManagedIdentity/userAssignedIdentities",
            "Microsoft.Authorization/roleAssignments",
        }, types);
    }

    [Fact]
    public void Template_BotTypes_AreSingleTenantOrManagedIdentityOnly()
    {
        var allowed = compiled.Template["parameters"]!["botAppType"]!["allowedValues"]!.AsArray().Select(v => (string?)v);

        Assert.Equal(["SingleTenant", "UserAssignedMSI"], allowed);
    }

    [Fact]
    public void Template_Bot_HasTeamsChannelAndTheMessagingEndpointOnTheWebApp()
    {
        var bot = compiled.Resource("Microsoft.BotService/botServices");
        var channel = compiled.Resource("Microsoft.BotService/botServices/channels");

        Assert.Contains("/api/messages", (string)bot["properties"]!["endpoint"]!, StringComparison.Ordinal);
        Assert.Contains("defaultHostName", compiled.Text, StringComparison.Ordinal);
        Assert.Equal("MsTeamsChannel", (string?)channel["properties"]!["channelName"]);
        Assert.True((bool)channel["properties"]!["properties"]!["isEnabled"]!);
    }

    [Fact]
    public void Template_WebApp_IsLinuxDotNet10WithTheManagedIdentityForKeyVault()
    {
        var site = compiled.Resource("Microsoft.Web/sites");
        var plan = compiled.Resource("Microsoft.Web/serverfarms");

        Assert.Equal("DOTNETCORE|10.0", (string?)site["properties"]!["siteConfig"]!["linuxFxVersion"]);
        Assert.True((bool)plan["properties"]!["reserved"]!); // Linux
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        Assert.Contains("userAssignedIdentities", (string)site["properties"]!["keyVaultReferenceIdentity"]!, StringComparison.Ordinal);
        Assert.True((bool)site["properties"]!["httpsOnly"]!);
    }

    [Fact]
    public void Template_AppSettings_AreTheReadmeConfigurationKeysWithTheSecretFromKeyVault()
    {
        var settings = AppSettingNames().ToList();
        var readmeKeys = ReadmeConfigurationKeys();

        Assert.Superset(new HashSet<string> { "MicrosoftAppType", "MicrosoftAppId", "MicrosoftAppTenantId", "MicrosoftAppPassword", "ConnectionStrings__PorBot" }, settings.ToHashSet());
        // Our own keys must be ones the README documents (App Service's own settings are upper-case).
        foreach (var name in settings.Where(n => n.Any(char.IsLower)))
            Assert.True(readmeKeys.Contains(name.Replace("__", ":", StringComparison.Ordinal)), $"app setting {name} is not in README's configuration table");
        Assert.Contains("'@Microsoft.KeyVault(VaultName={0};SecretName={1})'", compiled.Text, StringComparison.Ordinal);
        Assert.Contains("Data Source=/home/", compiled.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersExample_NamesOnlyTemplateParametersAndEveryRequiredOne()
    {
        var example = JsonNode.Parse(File.ReadAllText(RepoPaths.Combine("infra", "main.parameters.example.json")))!["parameters"]!.AsObject();
        var parameters = compiled.Template["parameters"]!.AsObject();

        Assert.All(example.Select(p => p.Key), name => Assert.True(parameters.ContainsKey(name), $"{name} is not a parameter of main.bicep"));
        Assert.All(parameters.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key),
            name => Assert.True(example.ContainsKey(name), $"required parameter {name} is missing from the example"));
    }

    private IEnumerable<string> AppSettingNames() =>
        // Bicep compiles the setting arrays to variables (and the optional secret into an if() expression); collect every name.
        SettingName().Matches(compiled.Text).Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).Distinct();

    private static HashSet<string> ReadmeConfigurationKeys()
    {
        var readme = File.ReadAllText(RepoPaths.Combine("README.md"));
        return ReadmeKey().Matches(readme).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
    }

    // Either a JSON object { "name": "X", "value": ... } or, inside an expression, createObject('name', 'X', 'value', ...).
    [GeneratedRegex("\"name\": \"([A-Za-z_]+)\",\\s*\"value\":|'name', '([A-Za-z_]+)', 'value'")]
    private static partial Regex SettingName();

    [GeneratedRegex(@"^\| `([A-Za-z:]+)`", RegexOptions.Multiline)]
    private static partial Regex ReadmeKey();

    /// <summary>main.bicep compiled once for the class.</summary>
    public sealed class CompiledTemplate : IAsyncLifetime
    {
        public Bicep.BuildResult Result { get; private set; } = new(-1, "", null);

        public string Text => Result.ArmJson ?? throw new InvalidOperationException($"bicep build failed:\n{Result.StdErr}");

        public JsonObject Template => JsonNode.Parse(Text)!.AsObject();

        public IEnumerable<JsonObject> Resources => Template["resources"]!.AsArray().Select(r => r!.AsObject());

        public JsonObject Resource(string type) => Assert.Single(Resources, r => (string?)r["type"] == type);

        public async Task InitializeAsync() => Result = await Bicep.BuildAsync(MainBicep);

        public Task DisposeAsync() => Task.CompletedTask;
    }
}
