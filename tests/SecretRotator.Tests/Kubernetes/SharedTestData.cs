namespace SecretRotator.Tests.Kubernetes;

/// <summary>
/// Finds /shared/testdata next to the repository: locally the repo is &lt;root&gt;/main (or a worktree) beside
/// &lt;root&gt;/shared, in CI the clone has shared/ beside it. Walks up from the test binaries and checks each level.
/// </summary>
internal static class SharedTestData
{
    public static string Path(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "testdata", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"shared/testdata/{name} not found in any parent of {AppContext.BaseDirectory}");
    }
}
