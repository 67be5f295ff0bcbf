using PorBot.Testing;
using YamlDotNet.RepresentationModel;

namespace PorBot.Tests.Packaging;

/// <summary>azure-pipelines.yml parses and does what README promises: build, test, package, then a gated deploy.</summary>
public sealed class PipelineTests
{
    private static readonly YamlMappingNode Pipeline = Load();

    [Fact]
    public void Pipeline_Stages_AreBuildTestPackageDeployEachAfterThePrevious()
    {
        var stages = Stages().ToList();

        Assert.Equal(["build", "test", "package", "deploy"], stages.Select(s => Scalar(s, "stage")));
        for (var i = 1; i < stages.Count; i++) Assert.Equal(Scalar(stages[i - 1], "stage"), Scalar(stages[i], "dependsOn"));
    }

    [Fact]
    public void Pipeline_TestStage_RunsTestShAsCiDoesAndPublishesResultsAndCoverage()
    {
        var steps = StepsOf(Stage("test")).ToList();

        Assert.Contains(steps, s => Scalar(s, "script") == "./test.sh");
        Assert.Contains("exec ./test.sh", File.ReadAllText(RepoPaths.Combine(".ci", "run")), StringComparison.Ordinal);
        var results = Assert.Single(steps, s => Scalar(s, "task") == "PublishTestResults@2");
        Assert.Equal("succeededOrFailed()", Scalar(results, "condition"));
        Assert.Contains(".trx", Scalar((YamlMappingNode)results.Children["inputs"], "testResultsFiles"), StringComparison.Ordinal);
        var coverage = Assert.Single(steps, s => Scalar(s, "task") == "PublishCodeCoverageResults@2");
        Assert.Contains("cobertura", Scalar((YamlMappingNode)coverage.Children["inputs"], "summaryFileLocation"), StringComparison.Ordinal);
    }

    [Fact]
    public void Pipeline_PackageStage_PublishesTheAppAndTheTeamsPackageAsArtifacts()
    {
        var steps = StepsOf(Stage("package")).ToList();

        Assert.Contains(steps, s => Scalar(s, "script")?.StartsWith("dotnet publish src/PorBot", StringComparison.Ordinal) == true);
        Assert.Contains(steps, s => Scalar(s, "script")?.StartsWith("manifest/build-package", StringComparison.Ordinal) == true);
        var artifacts = steps.Where(s => Scalar(s, "task") == "PublishPipelineArtifact@1")
            .Select(s => Scalar((YamlMappingNode)s.Children["inputs"], "artifact")).ToList();
        Assert.Superset(new HashSet<string?> { "app", "teams-app", "infra" }, artifacts.ToHashSet());
    }

    [Fact]
    public void Pipeline_DeployStage_RunsOnlyForMainThroughAnApprovalEnvironment()
    {
        var deploy = Stage("deploy");

        var condition = Scalar(deploy, "condition");
        Assert.Contains("succeeded()", condition, StringComparison.Ordinal);
        Assert.Contains("eq(variables['Build.SourceBranch'], 'refs/heads/main')", condition, StringComparison.Ordinal);
        var job = Assert.Single(Sequence(deploy, "jobs").Cast<YamlMappingNode>());
        Assert.NotNull(Scalar(job, "deployment"));
        Assert.False(string.IsNullOrWhiteSpace(Scalar(job, "environment")));
    }

    [Fact]
    public void Pipeline_DeployStage_DeploysBicepThenTheApp()
    {
        var steps = StepsOf(Stage("deploy")).ToList();
        var tasks = steps.Select(s => Scalar(s, "task")).Where(t => t is not null).ToList();

        Assert.Equal(["AzureCLI@2", "AzureWebApp@1"], tasks);
        var script = Scalar((YamlMappingNode)steps.Single(s => Scalar(s, "task") == "AzureCLI@2").Children["inputs"], "inlineScript");
        Assert.Contains("az deployment group create", script, StringComparison.Ordinal);
        Assert.Contains("infra/main.bicep", script, StringComparison.Ordinal);
        var webApp = (YamlMappingNode)steps.Single(s => Scalar(s, "task") == "AzureWebApp@1").Children["inputs"];
        Assert.Equal("webAppLinux", Scalar(webApp, "appType"));
        Assert.Equal("DOTNETCORE|10.0", Scalar(webApp, "runtimeStack"));
    }

    private static YamlMappingNode Load()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(RepoPaths.Combine("azure-pipelines.yml"));
        yaml.Load(reader); // throws on invalid YAML
        return (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;
    }

    private static IEnumerable<YamlMappingNode> Stages() => Sequence(Pipeline, "stages").Cast<YamlMappingNode>();

    private static YamlMappingNode Stage(string name) => Assert.Single(Stages(), s => Scalar(s, "stage") == name);

    /// <summary>Every step of every job in a stage, including a deployment job's runOnce.deploy steps.</summary>
    private static IEnumerable<YamlMappingNode> StepsOf(YamlMappingNode stage)
    {
        foreach (var job in Sequence(stage, "jobs").Cast<YamlMappingNode>())
        {
            var steps = job.Children.TryGetValue("steps", out var direct)
                ? (YamlSequenceNode)direct
                : (YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)job["strategy"])["runOnce"])["deploy"])["steps"];
            foreach (var step in steps.Cast<YamlMappingNode>()) yield return step;
        }
    }

    private static YamlSequenceNode Sequence(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;
}
