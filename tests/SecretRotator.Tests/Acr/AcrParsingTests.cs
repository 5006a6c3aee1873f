using SecretRotator.Registries.Acr;

namespace SecretRotator.Tests.Acr;

public sealed class AcrParsingTests
{
    [Fact]
    public void Parse_ServerOnly_DefaultsAuthScopeAndEndpoint()
    {
        var (map, errors) = TestYaml.Map("server: myregistry.azurecr.io");

        var options = AcrRegistryOptions.Parse(map);

        Assert.False(errors.Any);
        Assert.Equal(AzureAuthMode.Default, options.Auth);
        Assert.Equal("https://containerregistry.azure.net/.default", options.Scope);
        Assert.Equal(new Uri("https://myregistry.azurecr.io"), options.Endpoint);
    }

    [Fact]
    public void Parse_ManagedWithClientIdAndEndpoint_KeepsThem()
    {
        var (map, errors) = TestYaml.Map("server: r.azurecr.io\nauth: managed\nclientId: abc\nendpoint: https://r.privatelink.azurecr.io/\nscope: https://example/.default");

        var options = AcrRegistryOptions.Parse(map);

        Assert.False(errors.Any);
        Assert.Equal(AzureAuthMode.Managed, options.Auth);
        Assert.Equal("abc", options.ClientId);
        Assert.Equal("https://example/.default", options.Scope);
        Assert.Equal(new Uri("https://r.privatelink.azurecr.io/"), options.Endpoint);
    }

    [Theory]
    [InlineData("workload", AzureAuthMode.Workload)]
    [InlineData("managed", AzureAuthMode.Managed)]
    [InlineData("secret", AzureAuthMode.Secret)]
    [InlineData("certificate", AzureAuthMode.Certificate)]
    [InlineData("default", AzureAuthMode.Default)]
    public void Parse_AuthMode_MapsEachDocumentedValue(string auth, AzureAuthMode expected)
    {
        var (map, errors) = TestYaml.Map($"server: r.azurecr.io\nauth: {auth}");

        var options = AcrRegistryOptions.Parse(map);

        Assert.False(errors.Any);
        Assert.Equal(expected, options.Auth);
    }

    [Theory]
    [InlineData("server: r.azurecr.io\nauth: kerberos", "registries[0].auth", "must be one of")]
    [InlineData("server: https://r.azurecr.io/v2", "registries[0].server", "host name")]
    [InlineData("server: r.azurecr.io\nendpoint: ftp://x", "registries[0].endpoint", "http(s) URL")]
    [InlineData("server: user@r.azurecr.io", "registries[0].server", "host name")]
    [InlineData("auth: workload", "registries[0].server", "is required")]
    public void Parse_InvalidField_ReportsItWithPath(string yaml, string path, string message)
    {
        var (map, errors) = TestYaml.Map(yaml);

        AcrRegistryOptions.Parse(map);

        var error = Assert.Single(errors.Items);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("myregistry.azurecr.io", true)]
    [InlineData("registry.local:5000", true)]
    [InlineData("https://r.azurecr.io", false)]
    [InlineData("r.azurecr.io/v2", false)]
    [InlineData("r.azurecr.io?x", false)]
    public void IsRegistryHost_Value_AcceptsHostAndPortOnly(string value, bool expected) =>
        Assert.Equal(expected, AcrRegistryOptions.IsRegistryHost(value));

    [Theory]
    [InlineData("https://login.microsoftonline.com/", true)]
    [InlineData("https://login.chinacloudapi.cn/", true)]
    [InlineData("https://login.microsoftonline.us/", true)]
    [InlineData("https://login.azurestack.contoso.local/", false)]
    [InlineData("https://127.0.0.1:5001/", false)]
    public void IsKnownCloud_AuthorityHost_OnlyAzureClouds(string authority, bool known) =>
        Assert.Equal(known, AzureCredentialFactory.IsKnownCloud(new Uri(authority)));

    [Theory]
    [InlineData("""{"exp":1795000000}""", 1795000000L)]
    [InlineData("""{"exp":1795000000.7}""", 1795000000L)]
    [InlineData("""{"exp":"1795000000"}""", null)]
    [InlineData("""{"sub":"x"}""", null)]
    public void TryReadExpiry_Payload_ReadsNumericExpOnly(string payload, long? expected)
    {
        var jwt = $"e30.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload))}.c2ln";

        var expiry = JwtClaims.TryReadExpiry(jwt);

        Assert.Equal(expected, expiry?.ToUnixTimeSeconds());
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.!!!.c")]
    [InlineData("a.bm90IGpzb24.c")]
    public void TryReadExpiry_NotAJwt_ReturnsNull(string token) => Assert.Null(JwtClaims.TryReadExpiry(token));
}
