using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Registries.Mirror;
using SecretRotator.Registries.Static;

namespace SecretRotator.Tests.Providers;

/// <summary>RegistryProvider&lt;TOptions&gt;: the one place a definition's options are checked against the provider's type.</summary>
public sealed class RegistryProviderTests
{
    private static readonly SourceLocation Here = new("test.yaml", 1, 1, "registries[0]");

    private sealed class NoValues : IValueResolver
    {
        public Task<string> ResolveAsync(ValueSource source, CancellationToken cancellationToken) => Task.FromResult("value");
    }

    [Fact]
    public async Task GetCredentialAsync_TypedOptions_ReachTheProvider()
    {
        var provider = new StaticRegistryProvider(new NoValues());
        var registry = new RegistryDefinition("hub", "static",
            new StaticRegistryOptions("docker.io", new ValueSource.Literal("me"), new ValueSource.Literal("pw"), null), Here);

        var credential = await provider.GetCredentialAsync(registry, TestContext.Current.CancellationToken);

        Assert.Equal("docker.io", Assert.Single(credential.Entries).Server);
        Assert.Equal(["docker.io"], provider.ConfiguredServers(registry));
    }

    [Fact]
    public async Task GetCredentialAsync_OptionsOfAnotherType_ThrowsNamingTheRegistry()
    {
        var provider = new StaticRegistryProvider(new NoValues());
        var registry = new RegistryDefinition("copy", "mirror", new MirrorRegistryOptions("ns", "source"), Here);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.GetCredentialAsync(registry, TestContext.Current.CancellationToken));

        Assert.Contains("registry copy", error.Message, StringComparison.Ordinal);
    }
}
