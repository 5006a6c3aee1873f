using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries.Acr;
using SecretRotator.Registries.Ecr;
using SecretRotator.Registries.Gcr;
using SecretRotator.Rotation;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Performance;

/// <summary>
/// Start-up: a config without a cloud registry type never builds that cloud's credential services, so the AWS, Azure
/// and Google SDK assemblies stay unloaded (their set-up was measurable in the exec-to-first-request time).
/// </summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Run_StaticRegistriesOnly_BuildsNoCloudCredentialService()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await RotatorHarness.StartAsync("default");
        h.WriteFile("a.txt", "password-a");
        var configPath = h.WriteConfig("""
            registries:
              - {name: reg-a, type: static, server: a.example.com, username: ua, password: {file: a.txt}}
            secrets:
              - {name: regcred, registries: [reg-a], namespaces: {names: [default]}}
            """);
        var built = new List<string>();
        await using var provider = Services(h, built);

        var config = provider.GetRequiredService<ConfigLoader>().Load(configPath);
        var report = await provider.GetRequiredService<RotationRunner>().RunAsync(config, new RunOptions(), ct);

        Assert.Equal(0, report.ExitCode);
        Assert.Empty(built);
    }

    [Fact]
    public async Task Run_EcrRegistry_BuildsAwsCredentialsOnlyWhenFetching()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var h = await RotatorHarness.StartAsync("default");
        var configPath = h.WriteConfig("""
            registries:
              - {name: ecr, type: ecr, region: us-east-1, endpoint: "http://127.0.0.1:9"}
            secrets:
              - {name: ecrcred, registries: [ecr], namespaces: {names: [default]}}
            """);
        var built = new List<string>();
        await using var provider = Services(h, built);

        var config = provider.GetRequiredService<ConfigLoader>().Load(configPath);
        var afterLoad = built.ToList();
        var report = await provider.GetRequiredService<RotationRunner>().RunAsync(config, new RunOptions(), ct);

        Assert.Empty(afterLoad);
        Assert.Equal(["aws"], built);
        Assert.Equal(1, report.ExitCode); // the stand-in credential service refuses, so the fetch fails
    }

    /// <summary>The CLI's wiring, with each cloud's credential service replaced by one that records that it was built.</summary>
    private static ServiceProvider Services(RotatorHarness h, List<string> built)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddFakeLogging();
        services.AddSecretRotator();
        services.AddSingleton<IKubernetesClientProvider>(new FixedKubernetesClientProvider(h.Client()));
        services.AddSingleton<AwsCredentialChain>(_ => Refuse<AwsCredentialChain>(built, "aws"));
        services.AddSingleton<AzureCredentialFactory>(_ => Refuse<AzureCredentialFactory>(built, "azure"));
        services.AddSingleton<EntraTokenCache>(_ => Refuse<EntraTokenCache>(built, "entra"));
        services.AddSingleton<GoogleCredentialLoader>(_ => Refuse<GoogleCredentialLoader>(built, "google"));
        return services.BuildServiceProvider();
    }

    private static T Refuse<T>(List<string> built, string name)
    {
        lock (built) built.Add(name);
        throw new InvalidOperationException($"{name} credential service built");
    }
}
