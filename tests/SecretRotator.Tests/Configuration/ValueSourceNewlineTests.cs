using k8s;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;

namespace SecretRotator.Tests.Configuration;

/// <summary>{env:}, {file:} and {secret:} agree: trailing line breaks are dropped, everything else is kept.</summary>
public sealed class ValueSourceNewlineTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-newline-");
    private readonly ValueResolver _resolver = new(new NoCluster());

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("pw\n", "pw")]
    [InlineData("pw\r\n", "pw")]
    [InlineData("pw\n\n", "pw")]
    [InlineData(" pw \n", " pw ")]
    [InlineData("p\nw", "p\nw")]
    public async Task Resolve_EnvAndFileWithTheSameText_GiveTheSameValue(string text, string expected)
    {
        var variable = $"SECRET_ROTATOR_TEST_NEWLINE_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, text);
        var file = Path.Combine(_dir.FullName, "value");
        await File.WriteAllTextAsync(file, text, TestContext.Current.CancellationToken);
        try
        {
            var fromEnv = await _resolver.ResolveAsync(new ValueSource.Env(variable), TestContext.Current.CancellationToken);
            var fromFile = await _resolver.ResolveAsync(new ValueSource.File(file), TestContext.Current.CancellationToken);

            Assert.Equal(expected, fromEnv);
            Assert.Equal(expected, fromFile);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    private sealed class NoCluster : IKubernetesClientProvider
    {
        public IKubernetes Client => throw new InvalidOperationException("no cluster in this test");
    }
}
