using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Configuration;
using SecretRotator.Registries.Gcr;
using SecretRotator.Tests.Acr;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.Fakes.Google;

namespace SecretRotator.Tests.Gcr;

/// <summary>The Google fake, a service account key file for it, and a provider reading a test environment.</summary>
internal sealed class GcrTestRig : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gcr-test-").FullName;

    private GcrTestRig(GoogleFake google)
    {
        Google = google;
        KeyFile = WriteFile("key.json", google.KeyFileJson());
        var http = new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        var iam = new IamCredentialsClient(http, Time, new FakeLogger<IamCredentialsClient>(Logs)) { RetryDelay = TimeSpan.Zero };
        Provider = new GcrRegistryProvider(new Lazy<GoogleCredentialLoader>(new GoogleCredentialLoader(Environment)), iam, Time, new FakeLogger<GcrRegistryProvider>(Logs));
    }

    public GoogleFake Google { get; }
    public string KeyFile { get; }
    public TestEnvironment Environment { get; } = new();
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public FakeLogCollector Logs { get; } = new();
    public GcrRegistryProvider Provider { get; }

    public static async Task<GcrTestRig> StartAsync() => new(await new GoogleFake().StartAsync());

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    public RegistryDefinition Registry(string yaml, string name = "gar")
    {
        var (map, errors) = TestYaml.Map(yaml);
        var options = Provider.ParseOptions(map);
        map.RejectUnknownKeys();
        Assert.False(errors.Any, string.Join("; ", errors.Items));
        return new RegistryDefinition(name, "gcr", options, map.Location);
    }

    public async ValueTask DisposeAsync()
    {
        await Google.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
