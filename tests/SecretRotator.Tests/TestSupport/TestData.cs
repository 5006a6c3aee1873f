namespace SecretRotator.Tests.TestSupport;

/// <summary>Finds ../shared/testdata (beside the repository) by walking up from the test binary.</summary>
public static class TestData
{
    public static string Path(string file)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "testdata", file);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"shared/testdata/{file} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The tab-separated rows of a testdata file, comments and blank lines skipped.</summary>
    public static IEnumerable<string[]> Rows(string file) =>
        File.ReadLines(Path(file)).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t'));
}
