using System.Text.Json;
using System.Text.Json.Nodes;
using PorBot.Testing;

namespace PorBot.Tests.Packaging;

/// <summary>The Teams app package as a tenant admin would upload it: valid, filled in, and with icons Teams accepts.</summary>
public sealed class AppPackageTests(BuiltAppPackage package) : IClassFixture<BuiltAppPackage>
{
    private static readonly TimeSpan ValidatorTimeout = TimeSpan.FromMinutes(2);

    private AppPackageBuild Build => package.Build;

    [Fact]
    public async Task BuildPackage_TestValues_PassesOfficialTeamsValidator()
    {
        var result = await ValidateAsync(Build.ZipPath);

        Assert.True(result.Valid, $"the official validator rejected the package:\n{result}");
        Assert.Equal("v1.24", result.Schema);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public async Task Validator_ManifestBreakingTheSchema_ReportsEachProblem()
    {
        // Guards the harness: a manifest Teams would refuse must fail here too.
        var manifest = Build.ReadManifest();
        manifest["description"]!["short"] = new string('x', 81);
        manifest["developer"]!.AsObject().Remove("privacyUrl");
        manifest["bots"]![0]!["scopes"] = new JsonArray("personal", "groupchat");
        var file = Path.Combine(Build.Directory, "broken", "manifest.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, manifest.ToJsonString());

        var result = await ValidateAsync(file);

        Assert.False(result.Valid);
        Assert.Contains(result.Errors, e => e.Contains("/description/short", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("privacyUrl", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("/bots/0/scopes/1", StringComparison.Ordinal));
    }

    [Fact]
    public void BuildPackage_TestValues_FillsAppIdAndDomainEverywhere()
    {
        var text = System.Text.Encoding.UTF8.GetString(Build.ReadZip()["manifest.json"]);
        var manifest = Build.ReadManifest();

        Assert.DoesNotContain("${{", text, StringComparison.Ordinal);
        Assert.Equal(AppPackageBuild.TestAppId, (string?)manifest["id"]);
        Assert.Equal(AppPackageBuild.TestAppId, (string?)manifest["bots"]![0]!["botId"]);
        Assert.Equal(AppPackageBuild.TestAppId, (string?)manifest["composeExtensions"]![0]!["botId"]);
        Assert.Equal(AppPackageBuild.TestAppId, (string?)manifest["webApplicationInfo"]!["id"]);
        Assert.Equal($"api://botid-{AppPackageBuild.TestAppId}", (string?)manifest["webApplicationInfo"]!["resource"]);
        Assert.Equal([AppPackageBuild.TestDomain], manifest["validDomains"]!.AsArray().Select(d => (string?)d));
        Assert.Equal("https://contoso.example/privacy", (string?)manifest["developer"]!["privacyUrl"]);
        Assert.Equal("1.0.0", (string?)manifest["version"]);
    }

    [Fact]
    public void BuildPackage_Permissions_LetTheDeliveryCheckReadChannelAndGroupChatMessages()
    {
        var manifest = Build.ReadManifest();

        // The alert delivery probe (README "Alerts that may not have arrived") reads these conversations after an interrupted send.
        var permissions = manifest["authorization"]!["permissions"]!["resourceSpecific"]!.AsArray()
            .Select(p => $"{(string?)p!["name"]}/{(string?)p["type"]}").Order(StringComparer.Ordinal);
        Assert.Equal(["ChannelMessage.Read.Group/Application", "ChatMessage.Read.Chat/Application"], permissions);
    }

    [Fact]
    public void BuildPackage_TestValues_ZipHoldsExactlyManifestAndTwoIconsAtItsRoot()
    {
        var entries = Build.ReadZip();

        Assert.Equal(["color.png", "manifest.json", "outline.png"], entries.Keys.Order(StringComparer.Ordinal));
        var manifest = Build.ReadManifest();
        Assert.Equal("color.png", (string?)manifest["icons"]!["color"]);
        Assert.Equal("outline.png", (string?)manifest["icons"]!["outline"]);
    }

    [Fact]
    public void BuildPackage_Icons_HaveTheSizesTeamsRequires()
    {
        var entries = Build.ReadZip();

        Assert.Equal((192, 192), PngImage.ReadHeaderSize(entries["color.png"]));
        Assert.Equal((32, 32), PngImage.ReadHeaderSize(entries["outline.png"]));
    }

    [Fact]
    public void BuildPackage_OutlineIcon_IsWhiteOnTransparent()
    {
        var outline = PngImage.Decode(Build.ReadZip()["outline.png"]);

        Assert.Equal(6, outline.ColorType); // RGBA
        Assert.Equal(0, outline[0, 0].A);
        Assert.Equal(0, outline[31, 31].A);
        var pixels = outline.Pixels().ToList();
        Assert.Contains(pixels, p => p.A == 255);
        Assert.All(pixels.Where(p => p.A > 0), p => Assert.True(p is { R: 255, G: 255, B: 255 }, $"outline pixel {p} is not white"));
        // A drawing, not a blank or a filled square: between a tenth and a half of the pixels are inked.
        var inked = pixels.Count(p => p.A >= 128);
        Assert.InRange(inked, pixels.Count / 10, pixels.Count / 2);
    }

    [Fact]
    public void BuildPackage_ColorIcon_IsAnOpaqueTileInTheAccentColour()
    {
        var color = PngImage.Decode(Build.ReadZip()["color.png"]);
        var accent = (string)Build.ReadManifest()["accentColor"]!;

        Assert.All(color.Pixels(), p => Assert.Equal(255, p.A));
        var corner = color[0, 0];
        Assert.Equal(accent, $"#{corner.R:X2}{corner.G:X2}{corner.B:X2}", StringComparer.OrdinalIgnoreCase);
        Assert.Contains(color.Pixels(), p => p is { R: 255, G: 255, B: 255 });
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("7c2d9e41-3b5a-4f68-9d0e-a1b2c3d4e5f")]
    [InlineData("{7c2d9e41-3b5a-4f68-9d0e-a1b2c3d4e5f6}")]
    public async Task BuildPackage_AppIdNotAGuid_FailsNamingTheSetting(string appId)
    {
        using var build = await AppPackageBuild.RunAsync(["--app-id", appId, "--domain", AppPackageBuild.TestDomain]);

        Assert.NotEqual(0, build.Result.ExitCode);
        Assert.Contains($"the app id '{appId}' is not a GUID: BOT_APP_ID/--app-id", build.Result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(build.ZipPath));
    }

    [Fact]
    public async Task BuildPackage_NoAppIdOrDomain_FailsSayingWhatToSet()
    {
        using var build = await AppPackageBuild.RunAsync([]);

        Assert.NotEqual(0, build.Result.ExitCode);
        Assert.Contains("set BOT_APP_ID", build.Result.StdErr, StringComparison.Ordinal);
        Assert.Contains("set BOT_DOMAIN", build.Result.StdErr, StringComparison.Ordinal);
        Assert.False(File.Exists(build.ZipPath));
    }

    [Fact]
    public async Task BuildPackage_DomainGivenAsUrl_FailsAskingForTheHostName()
    {
        using var build = await AppPackageBuild.RunAsync(["--app-id", AppPackageBuild.TestAppId, "--domain", "https://porbot-test.azurewebsites.net/api/messages"]);

        Assert.NotEqual(0, build.Result.ExitCode);
        Assert.Contains("give the host name only", build.Result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildPackage_ValuesFromEnvironment_FillsThem()
    {
        using var build = await AppPackageBuild.RunAsync([], new Dictionary<string, string>
        {
            ["BOT_APP_ID"] = "A1B2C3D4-0000-4000-8000-00000000000A",
            ["BOT_DOMAIN"] = "porbot-env.example.com",
            ["APP_VERSION"] = "2.3.4",
        });

        var manifest = build.ReadManifest();
        Assert.Equal("a1b2c3d4-0000-4000-8000-00000000000a", (string?)manifest["id"]);
        Assert.Equal("porbot-env.example.com", (string?)manifest["validDomains"]![0]);
        Assert.Equal("2.3.4", (string?)manifest["version"]);
        // Unset developer pages fall back to the bot's domain, with a warning that says so.
        Assert.Equal("https://porbot-env.example.com/privacy", (string?)manifest["developer"]!["privacyUrl"]);
        Assert.Contains("DEVELOPER_PRIVACY_URL not set", build.Result.StdErr, StringComparison.Ordinal);
    }

    private sealed record ValidationResult(bool Valid, string? Schema, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
    {
        public override string ToString() => string.Join('\n', Errors.Select(e => "error: " + e).Concat(Warnings.Select(w => "warning: " + w)));
    }

    private static async Task<ValidationResult> ValidateAsync(string file)
    {
        var run = await NodeTools.RunScriptAsync("validate-manifest.js", ["--json", file], ValidatorTimeout);
        if (run.ExitCode is not (0 or 1) || string.IsNullOrWhiteSpace(run.StdOut))
            throw new InvalidOperationException($"validate-manifest.js failed ({run.ExitCode}):\n{run.StdErr}\n{run.StdOut}");
        var result = JsonDocument.Parse(run.StdOut).RootElement.GetProperty("files")[0];
        return new ValidationResult(
            result.GetProperty("valid").GetBoolean(),
            result.GetProperty("schema").GetString(),
            result.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList(),
            result.GetProperty("warnings").EnumerateArray().Select(e => e.GetString()!).ToList());
    }
}
