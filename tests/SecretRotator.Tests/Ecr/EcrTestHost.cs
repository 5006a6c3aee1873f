using Amazon.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Ecr;
using SecretRotator.Tests.Fakes.Ecr;

namespace SecretRotator.Tests.Ecr;

/// <summary>Fixed base credentials, so most tests need no process environment.</summary>
public sealed class FixedAwsCredentials(AWSCredentials credentials) : IAwsBaseCredentials
{
    public static FixedAwsCredentials From(AwsTestKey key) => new(key.SessionToken is null
        ? new BasicAWSCredentials(key.AccessKeyId, key.SecretAccessKey)
        : new SessionAWSCredentials(key.AccessKeyId, key.SecretAccessKey, key.SessionToken));

    public Task<AWSCredentials> ResolveAsync(CancellationToken cancellationToken) => Task.FromResult(credentials);
}

/// <summary>The real registrations of AddSecretRotator with test seams: credentials, environment, no retry delay, fake logging.</summary>
public sealed class EcrTestHost : IDisposable
{
    private readonly ServiceProvider _services;

    private EcrTestHost(ServiceProvider services) => _services = services;

    public FakeLogCollector Logs => _services.GetRequiredService<FakeLogCollector>();

    /// <param name="credentials">null keeps the real default AWS chain (process environment).</param>
    /// <param name="environment">null keeps the real process environment for endpoint variables.</param>
    public static EcrTestHost Create(IAwsBaseCredentials? credentials, IReadOnlyDictionary<string, string>? environment = null, int maxRetries = 3)
    {
        var services = new ServiceCollection();
        services.AddSecretRotator();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace));
        services.AddFakeLogging();
        services.AddSingleton(new EcrHttpOptions { MaxRetries = maxRetries, RetryDelay = TimeSpan.Zero, Timeout = TimeSpan.FromSeconds(30) });
        if (credentials is not null) services.AddSingleton(credentials);
        if (environment is not null) services.AddSingleton(new AwsEnvironment(n => environment.GetValueOrDefault(n)));
        return new EcrTestHost(services.BuildServiceProvider());
    }

    public IRegistryProvider Provider(string type) =>
        _services.GetServices<IRegistryProvider>().Single(p => p.Type == type);

    public RotatorConfig Parse(string registryFields, string type = "ecr")
    {
        var indented = string.Concat(registryFields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => $"    {l}\n"));
        var yaml = $"registries:\n  - name: r1\n    type: {type}\n{indented}secrets:\n  - name: regcred\n    registries: [r1]\n    namespaces:\n      names: [default]\n";
        return _services.GetRequiredService<ConfigLoader>().Parse(yaml, "test.yaml");
    }

    public Task<RegistryCredential> FetchAsync(string registryFields, string type = "ecr")
    {
        var registry = Parse(registryFields, type).Registries[0];
        return Provider(type).GetCredentialAsync(registry, TestContext.Current.CancellationToken);
    }

    public void Dispose() => _services.Dispose();
}
