namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Reference data copied into tests/SecretRotator.Tests/TestData (see its README.md for where each file's facts come
/// from), and the repository root, found by walking up from the test binary to the folder holding SecretRotator.sln.
/// </summary>
public static class TestData
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Path(string file)
    {
        var path = System.IO.Path.Combine(RepoRoot, "tests", "SecretRotator.Tests", "TestData", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"test data file {path} not found");
    }

    /// <summary>The tab-separated rows of a testdata file, comments and blank lines skipped.</summary>
    public static IEnumerable<string[]> Rows(string file) =>
        File.ReadLines(Path(file)).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t'));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "SecretRotator.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no SecretRotator.sln above {AppContext.BaseDirectory}");
    }
}
