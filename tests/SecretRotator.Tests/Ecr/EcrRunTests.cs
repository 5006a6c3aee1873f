using System.Text;
using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Registries.Ecr;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Ecr;

/// <summary>`secret-rotator run` end to end: the real CLI and pipeline, the fake ECR and the fake Kubernetes API.</summary>
public sealed class EcrRunTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Expiry = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero); // harness clock + 12h
    private static readonly string[] Hosts = ["123456789012.dkr.ecr.us-east-1.amazonaws.com", "210987654321.dkr.ecr.us-east-1.amazonaws.com"];

    private readonly AwsTestKeys _keys = new();
    private FakeEcrServer _ecr = null!;
    private RotatorHarness _h = null!;

    public async ValueTask InitializeAsync()
    {
        _ecr = await FakeEcrServer.StartAsync(_keys);
        _ecr.ExpiresAtJson = Expiry.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        _h = await RotatorHarness.StartAsync("default", "team-a");
        _h.Configure = services =>
        {
            services.AddSingleton<IAwsBaseCredentials>(FixedAwsCredentials.From(AwsTestKeys.Base));
            services.AddSingleton(new AwsEnvironment(n => n == AwsEnvironment.EcrEndpointVariable ? _ecr.Address.ToString() : null));
            services.AddSingleton(new EcrHttpOptions { RetryDelay = TimeSpan.Zero });
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        await _ecr.DisposeAsync();
    }

    private string Config() => _h.WriteConfig("""
        registries:
          - name: prod-ecr
            type: ecr
            region: us-east-1
            accounts: ["123456789012", "210987654321"]
        secrets:
          - name: ecr-regcred
            registries: [prod-ecr]
            namespaces:
              names: [default, team-a]
        """);

    [Fact]
    public async Task Run_EcrRegistry_WritesAwsTokenForEveryAccountHostWithExpiry()
    {
        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(_ecr.Requests);
        Assert.Null(_ecr.Requests[0].SignatureError);
        foreach (var ns in new[] { "default", "team-a" })
        {
            var secret = _h.Secret(ns, "ecr-regcred");
            Assert.Equal(ManagedSecret.SecretType, secret.Type);
            using var json = JsonDocument.Parse(secret.Data[ManagedSecret.DataKey]);
            var auths = json.RootElement.GetProperty("auths");
            Assert.Equal(Hosts, auths.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
            foreach (var host in Hosts)
            {
                var entry = auths.GetProperty(host);
                Assert.Equal("AWS", entry.GetProperty("username").GetString());
                Assert.Equal(_ecr.Password, entry.GetProperty("password").GetString());
                Assert.Equal("AWS:" + _ecr.Password, Encoding.UTF8.GetString(Convert.FromBase64String(entry.GetProperty("auth").GetString()!)));
            }
            Assert.Equal("2026-11-27T00:00:00Z", secret.GetAnnotation(ManagedSecret.ExpiresAtAnnotation));
        }
        Assert.DoesNotContain(_ecr.Password, result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_TokenStillFresh_SkipsTokenRequestUntilRefreshWindow()
    {
        var config = Config();
        await _h.RunCliAsync("run", "--config", config);
        _h.Time.Advance(TimeSpan.FromHours(2));

        var fresh = await _h.RunCliAsync("run", "--config", config);
        var requestsWhileFresh = _ecr.Requests.Count;
        _h.Time.Advance(TimeSpan.FromHours(9.5)); // 30 minutes before expiry: inside the default 1h refreshBefore
        _ecr.Password = "rotated-" + Guid.NewGuid().ToString("N");
        _ecr.ExpiresAtJson = Expiry.AddHours(12).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var due = await _h.RunCliAsync("run", "--config", config);

        Assert.True(fresh.ExitCode == 0 && due.ExitCode == 0, due.ToString());
        Assert.Equal(1, requestsWhileFresh);
        Assert.Equal(2, _ecr.Requests.Count);
        var secret = _h.Secret("default", "ecr-regcred");
        Assert.Contains(_ecr.Password, Encoding.UTF8.GetString(secret.Data[ManagedSecret.DataKey]), StringComparison.Ordinal);
        Assert.Equal("2026-11-27T12:00:00Z", secret.GetAnnotation(ManagedSecret.ExpiresAtAnnotation));
    }

    [Fact]
    public async Task Run_EcrAccessDenied_ExitsOneAndReportsReason()
    {
        _ecr.Enqueue(FakeAwsAnswer.Error(400, "com.amazonaws.ecr#AccessDeniedException", "User is not authorized to perform: ecr:GetAuthorizationToken"));

        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("access_denied", result.All, StringComparison.Ordinal);
        Assert.Null(_h.Api.GetSecret("default", "ecr-regcred"));
    }
}
