using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;

namespace SecretRotator.Tests.CredentialProvider;

/// <summary>secrets: is optional for credential-provider only; what is there is still checked.</summary>
public sealed class ConfigWithoutSecretsTests
{
    private static ConfigLoader Loader() => new ServiceCollection().AddSecretRotator().BuildServiceProvider().GetRequiredService<ConfigLoader>();

    private const string RegistriesOnly = "registries:\n  - {name: hub, type: static, server: a.io, username: u, password: {env: HOME}}\n";

    [Fact]
    public void Parse_NoSecretsForCredentialProvider_Loads()
    {
        // Act
        var config = Loader().Parse(RegistriesOnly, "plugin.yaml", requireSecrets: false);

        // Assert
        Assert.Empty(config.Secrets);
        Assert.Equal("hub", Assert.Single(config.Registries).Name);
    }

    [Fact]
    public void Parse_NoSecretsForRun_StillRequired()
    {
        // Act
        var e = Assert.Throws<ConfigException>(() => Loader().Parse(RegistriesOnly, "run.yaml"));

        // Assert
        Assert.Contains(e.Errors, error => error.ToString().Contains("secrets", StringComparison.Ordinal) && error.ToString().Contains("is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_BadSecretsForCredentialProvider_StillValidated()
    {
        // Arrange: one file serves both ways, so a broken secrets: entry is an error here too.
        var text = RegistriesOnly + "secrets:\n  - {name: regcred, registries: [nope], namespaces: {names: [default]}}\n";

        // Act
        var e = Assert.Throws<ConfigException>(() => Loader().Parse(text, "plugin.yaml", requireSecrets: false));

        // Assert
        Assert.Contains(e.Errors, error => error.ToString().Contains("unknown registry 'nope'", StringComparison.Ordinal));
    }
}
