namespace PorBot.Testing;

/// <summary>Where the repository root is, found from the test binaries (for node tools, snapshots, data).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PorBot.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("PorBot.sln not found above " + AppContext.BaseDirectory);
    }
}
