using SecretRotator.Tests.Fakes.Azure;

namespace SecretRotator.Tests.Published.Identity;

/// <summary>Loopback Entra (TLS, the binary trusts its certificate through SSL_CERT_FILE), managed identity and ACR exchange.</summary>
public sealed class AzureFakes : IAsyncLifetime
{
    public const string Server = "myregistry.azurecr.io";

    public EntraFake Entra { get; private set; } = null!;
    public ManagedIdentityFake ManagedIdentity { get; private set; } = null!;
    public AcrExchangeFake Acr { get; private set; } = null!;
    public ProcessRig Rig { get; private set; } = null!;
    public string TrustedCertificates { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Entra = await new EntraFake().StartAsync();
        ManagedIdentity = await new ManagedIdentityFake { TenantId = Entra.TenantId }.StartAsync();
        Acr = await new AcrExchangeFake
        {
            Servers = [Server],
            TenantId = Entra.TenantId,
            AcceptsAccessToken = t => Entra.IssuedTokens.Contains(t) || ManagedIdentity.IssuedTokens.Contains(t),
        }.StartAsync();
        Rig = await ProcessRig.StartAsync("team-a");
        // The binary's only trusted root: the Entra fake's self-signed loopback certificate (OpenSSL reads SSL_CERT_FILE).
        TrustedCertificates = Rig.WriteFile("entra-ca.pem", TestCertificate.Loopback.ExportCertificatePem());
    }

    public async ValueTask DisposeAsync()
    {
        await Rig.DisposeAsync();
        await Acr.DisposeAsync();
        await ManagedIdentity.DisposeAsync();
        await Entra.DisposeAsync();
    }
}

/// <summary>ACR as the shipped binary runs it: AKS workload identity, managed identity and a service principal secret.</summary>
public sealed class AzureIdentityMatrixTests(AzureFakes azure) : IClassFixture<AzureFakes>
{
    private string Config(string secret, string auth, string extra = "") => $$$"""
        registries:
          - {name: acr, type: acr, server: {{{AzureFakes.Server}}}, auth: {{{auth}}}, endpoint: "{{{azure.Acr.Endpoint}}}"{{{extra}}} }
        secrets:
          - {name: {{{secret}}}, registries: [acr], namespaces: {names: [team-a]}}
        """;

    private Dictionary<string, string?> Environment(string auth, string? federatedToken = null) => auth switch
    {
        "workload" => new()
        {
            ["AZURE_CLIENT_ID"] = azure.Entra.ClientId,
            ["AZURE_TENANT_ID"] = azure.Entra.TenantId,
            ["AZURE_FEDERATED_TOKEN_FILE"] = azure.Rig.WriteFile("azure-identity-token", federatedToken ?? azure.Entra.FederatedToken),
            ["AZURE_AUTHORITY_HOST"] = azure.Entra.AuthorityHost.AbsoluteUri,
            ["SSL_CERT_FILE"] = azure.TrustedCertificates,
        },
        "secret" => new()
        {
            ["AZURE_CLIENT_ID"] = azure.Entra.ClientId,
            ["AZURE_TENANT_ID"] = azure.Entra.TenantId,
            ["AZURE_CLIENT_SECRET"] = azure.Entra.ClientSecret,
            ["AZURE_AUTHORITY_HOST"] = azure.Entra.AuthorityHost.AbsoluteUri,
            ["SSL_CERT_FILE"] = azure.TrustedCertificates,
        },
        "managed" => new()
        {
            ["IDENTITY_ENDPOINT"] = azure.ManagedIdentity.Endpoint.AbsoluteUri,
            ["IDENTITY_HEADER"] = azure.ManagedIdentity.IdentityHeader,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(auth), auth, "workload, secret or managed"),
    };

    [Theory]
    [InlineData("workload")]
    [InlineData("secret")]
    [InlineData("managed")]
    public async Task Run_AzureIdentity_WritesTheAcrRefreshToken(string auth)
    {
        // Arrange
        var secret = $"acr-{auth}";
        var issuedBefore = azure.Acr.IssuedRefreshTokens.Count;
        var extra = auth == "managed" ? $", clientId: {azure.ManagedIdentity.ClientId}" : "";

        // Act
        var run = await azure.Rig.RunAsync(Config(secret, auth, extra), Environment(auth));

        // Assert
        Assert.True(run.ExitCode == 0, run.ToString());
        var refreshToken = Assert.Single(azure.Acr.IssuedRefreshTokens.Skip(issuedBefore));
        Assert.Equal(ProcessRig.Expected((AzureFakes.Server, "00000000-0000-0000-0000-000000000000", refreshToken)),
            azure.Rig.DockerConfigJson("team-a", secret, run));
        Assert.DoesNotContain(refreshToken, run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WorkloadIdentityWrongFederatedToken_FailsAuthFailedWithEntraCode()
    {
        // Arrange
        const string secret = "acr-wrong-token";

        // Act
        var run = await azure.Rig.RunAsync(Config(secret, "workload"), Environment("workload", federatedToken: "not-the-federated-token"));

        // Assert
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = ProcessRig.FailureLine(run, "acr");
        Assert.Contains("(auth_failed)", line, StringComparison.Ordinal);
        Assert.Contains("AADSTS700213", line, StringComparison.Ordinal);
        Assert.Null(azure.Rig.Api.GetSecret("team-a", secret));
        Assert.DoesNotContain("not-the-federated-token", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }
}
