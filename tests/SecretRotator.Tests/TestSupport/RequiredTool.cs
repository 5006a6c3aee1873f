namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// Finds an external binary the tests drive. Missing: skipped on a developer machine, but a failure under CI=true, where
/// the install scripts ran, so a broken install can never turn tests into silent skips.
/// </summary>
public static class RequiredTool
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The binary's full path, searched in the project-local tools folder (.tools/bin, filled by
    /// scripts/install-k8s-tools.sh), then on PATH, then in <paramref name="extraDirectories"/>.
    /// </summary>
    /// <param name="installHint">Tells the reader how to get it, e.g. "run scripts/install-deps.sh".</param>
    public static string Find(string name, string installHint, bool ci, params string[] extraDirectories)
    {
        var path = new[] { Path.Combine(TestData.RepoRoot, ".tools", "bin") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            .Concat(extraDirectories).Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
        if (path is not null) return path;
        var message = $"'{name}' is not installed; {installHint}";
        if (ci) Assert.Fail($"{message} (CI=true: required, not skipped)");
        Assert.Skip(message);
        return name; // not reached: Assert.Skip throws
    }
}
