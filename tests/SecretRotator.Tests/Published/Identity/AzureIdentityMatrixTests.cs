using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    /// <summary>The service principal's certificate and key as PEM (one file), as PFX with <see cref="PfxPassword"/>, and an unregistered one.</summary>
    public string CertificatePem { get; private set; } = "";
    public string CertificatePfx { get; private set; } = "";
    public string UnregisteredCertificatePem { get; private set; } = "";
    public const string PfxPassword = "pfx-password";

    public async ValueTask InitializeAsync()
    {
        using var registered = ServicePrincipalCertificate();
        using var unregistered = ServicePrincipalCertificate();
        Entra = await new EntraFake { ClientCertificate = X509CertificateLoader.LoadCertificate(registered.RawData) }.StartAsync();
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
        CertificatePem = Rig.WriteFile("sp.pem", Pem(registered));
        UnregisteredCertificatePem = Rig.WriteFile("sp-unregistered.pem", Pem(unregistered));
        CertificatePfx = Path.Combine(Rig.Directory, "sp.pfx");
        await File.WriteAllBytesAsync(CertificatePfx, registered.Export(X509ContentType.Pfx, PfxPassword));
    }

    /// <summary>What `az ad sp create-for-rbac --create-cert` gives: a self-signed RSA certificate with its key.</summary>
    private static X509Certificate2 ServicePrincipalCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=secret-rotator-sp", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    private static string Pem(X509Certificate2 certificate)
    {
        using var key = certificate.GetRSAPrivateKey()!;
        return certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n";
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
        "certificate" or "certificate-pfx" => new()
        {
            ["AZURE_CLIENT_ID"] = azure.Entra.ClientId,
            ["AZURE_TENANT_ID"] = azure.Entra.TenantId,
            ["AZURE_CLIENT_CERTIFICATE_PATH"] = auth == "certificate" ? azure.CertificatePem : azure.CertificatePfx,
            ["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = auth == "certificate" ? null : AzureFakes.PfxPassword,
            ["AZURE_AUTHORITY_HOST"] = azure.Entra.AuthorityHost.AbsoluteUri,
            ["SSL_CERT_FILE"] = azure.TrustedCertificates,
        },
        "managed" => new()
        {
            ["IDENTITY_ENDPOINT"] = azure.ManagedIdentity.Endpoint.AbsoluteUri,
            ["IDENTITY_HEADER"] = azure.ManagedIdentity.IdentityHeader,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(auth), auth, "workload, secret, certificate, certificate-pfx or managed"),
    };

    [Theory]
    [InlineData("workload")]
    [InlineData("secret")]
    [InlineData("certificate")]
    [InlineData("certificate-pfx")]
    [InlineData("managed")]
    public async Task Run_AzureIdentity_WritesTheAcrRefreshToken(string auth)
    {
        // Arrange
        var secret = $"acr-{auth}";
        var issuedBefore = azure.Acr.IssuedRefreshTokens.Count;
        var extra = auth == "managed" ? $", clientId: {azure.ManagedIdentity.ClientId}" : "";

        // Act
        var run = await azure.Rig.RunAsync(Config(secret, auth.Replace("-pfx", "", StringComparison.Ordinal), extra), Environment(auth));

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

    [Fact]
    public async Task Run_CertificateNotRegistered_FailsAuthFailedWithEntraCode()
    {
        // Arrange
        const string secret = "acr-wrong-certificate";
        var environment = Environment("certificate");
        environment["AZURE_CLIENT_CERTIFICATE_PATH"] = azure.UnregisteredCertificatePem;

        // Act
        var run = await azure.Rig.RunAsync(Config(secret, "certificate"), environment);

        // Assert
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = ProcessRig.FailureLine(run, "acr");
        Assert.Contains("(auth_failed)", line, StringComparison.Ordinal);
        Assert.Contains("AADSTS700027", line, StringComparison.Ordinal);
        Assert.Null(azure.Rig.Api.GetSecret("team-a", secret));
        Assert.DoesNotContain("PRIVATE KEY", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CertificateFileMissing_FailsAuthUnavailableNamingTheVariable()
    {
        // Arrange
        const string secret = "acr-missing-certificate";
        var environment = Environment("certificate");
        environment["AZURE_CLIENT_CERTIFICATE_PATH"] = Path.Combine(azure.Rig.Directory, "no-such.pem");

        // Act
        var run = await azure.Rig.RunAsync(Config(secret, "certificate"), environment);

        // Assert
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = ProcessRig.FailureLine(run, "acr");
        Assert.Contains("(auth_unavailable)", line, StringComparison.Ordinal);
        Assert.Contains("AZURE_CLIENT_CERTIFICATE_PATH", line, StringComparison.Ordinal);
    }
}
