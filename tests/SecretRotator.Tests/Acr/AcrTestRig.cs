using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;
using SecretRotator.Tests.Fakes.Azure;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Acr;

/// <summary>Entra and ACR fakes plus a provider wired to them through AZURE_* variables of a test environment.</summary>
internal sealed class AcrTestRig : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("acr-test-").FullName;

    private AcrTestRig(EntraFake entra, AcrExchangeFake acr)
    {
        Entra = entra;
        Acr = acr;
        TokenFile = Path.Combine(_directory, "azure-identity-token");
        File.WriteAllText(TokenFile, entra.FederatedToken);
        Environment["AZURE_CLIENT_ID"] = entra.ClientId;
        Environment["AZURE_TENANT_ID"] = entra.TenantId;
        Environment["AZURE_FEDERATED_TOKEN_FILE"] = TokenFile;
        Environment["AZURE_AUTHORITY_HOST"] = entra.AuthorityHost.AbsoluteUri;
        Credentials = new AzureCredentialFactory(Environment) { Transport = TestCertificate.TrustingTransport() };
        EntraTokens = new EntraTokenCache(Time, new FakeLogger<EntraTokenCache>(Logs));
        Exchange = new AcrTokenExchange(new TestHttpClientFactory(), Time, new FakeLogger<AcrTokenExchange>(Logs)) { RetryDelay = TimeSpan.Zero };
        Provider = new AcrRegistryProvider(new Lazy<AzureCredentialFactory>(Credentials), new Lazy<EntraTokenCache>(EntraTokens), Exchange, new FakeLogger<AcrRegistryProvider>(Logs));
    }

    public EntraFake Entra { get; }
    public AcrExchangeFake Acr { get; }
    public string TokenFile { get; }
    public TestEnvironment Environment { get; } = new();
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);
    public FakeLogCollector Logs { get; } = new();
    public AzureCredentialFactory Credentials { get; }
    public EntraTokenCache EntraTokens { get; }
    public AcrTokenExchange Exchange { get; }
    public AcrRegistryProvider Provider { get; }

    public static async Task<AcrTestRig> StartAsync(params string[] servers)
    {
        var entra = await new EntraFake().StartAsync();
        var acr = await new AcrExchangeFake
        {
            Servers = servers.Length > 0 ? servers : ["myregistry.azurecr.io"],
            TenantId = entra.TenantId,
            AcceptsAccessToken = token => entra.IssuedTokens.Contains(token),
        }.StartAsync();
        return new AcrTestRig(entra, acr);
    }

    /// <summary>A registry entry parsed from YAML by the provider, with the exchange pointed at the fake.</summary>
    public RegistryDefinition Registry(string name, string server = "myregistry.azurecr.io", string auth = "workload", string extra = "")
    {
        var yaml = $"server: {server}\nauth: {auth}\nendpoint: {Acr.Endpoint}\n{extra}";
        var (map, errors) = TestYaml.Map(yaml);
        var options = Provider.ParseOptions(map);
        map.RejectUnknownKeys();
        Assert.False(errors.Any, string.Join("; ", errors.Items));
        return new RegistryDefinition(name, "acr", options, map.Location);
    }

    public async ValueTask DisposeAsync()
    {
        await Entra.DisposeAsync();
        await Acr.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

internal static class TestYaml
{
    public static (ConfigMap Map, ConfigErrors Errors) Map(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var errors = new ConfigErrors("test.yaml");
        return (new ConfigMap((YamlMappingNode)stream.Documents[0].RootNode, "registries[0]", errors), errors);
    }
}
