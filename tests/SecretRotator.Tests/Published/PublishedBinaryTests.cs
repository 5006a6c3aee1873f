using System.Text;
using System.Text.Json;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.Fakes.Google;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Published;

/// <summary>
/// The shipped binary as its own process (the dll, or the Native AOT executable named by SECRET_ROTATOR_BINARY)
/// against the loopback fake API server: the paths where trimming and AOT break things that the in-process tests
/// cannot see (JSON (de)serialisation of Kubernetes models, watch events, YAML config, exec plugins, SigV4).
/// </summary>
public sealed class PublishedBinaryTests : IAsyncLifetime
{
    private const string Password = "pw-published-9d2e41";
    private const string Server = "registry.example.com";
    private const string ExpectedDockerConfigJson =
        "{\"auths\":{\"registry.example.com\":{\"username\":\"robot\",\"password\":\"" + Password + "\",\"auth\":\"cm9ib3Q6cHctcHVibGlzaGVkLTlkMmU0MQ==\"}}}";

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-published-");
    private FakeKubeApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _api.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        _api.AddNamespace("team-b", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        _api.AddNamespace("team-off");
        _api.AddNamespace("other", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>A static registry into "regcred" for team-* namespaces labelled pull-secrets=enabled, patched into "default".</summary>
    private string Config(string namespaces = "{names: [\"team-*\"], selector: \"pull-secrets=enabled\"}")
    {
        WriteFile("password.txt", Password + "\n");
        return WriteFile("config.yaml", $$"""
            registries:
              - name: hub
                type: static
                server: {{Server}}
                username: robot
                password: {file: password.txt}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {{namespaces}}
                serviceAccounts: [default]
            """);
    }

    private string Kubeconfig(Uri server, string user = "{token: published-token}") => WriteFile("kubeconfig", $$$"""
        apiVersion: v1
        kind: Config
        clusters: [{name: fake, cluster: {server: "{{{server.ToString().TrimEnd('/')}}}"}}]
        users: [{name: fake, user: {{{user}}}}]
        contexts: [{name: fake, context: {cluster: fake, user: fake}}]
        current-context: fake
        """);

    private static Dictionary<string, string?> NoEnvironment() => [];

    private void AssertServed(string ns)
    {
        var secret = _api.GetSecret(ns, "regcred");
        Assert.True(secret is not null, $"no secret regcred in {ns}");
        Assert.Equal("kubernetes.io/dockerconfigjson", secret.Type);
        Assert.Equal(ExpectedDockerConfigJson, Encoding.UTF8.GetString(secret.Data[".dockerconfigjson"]));
        var account = _api.GetServiceAccount(ns, "default")!;
        Assert.Contains("regcred", (account.ImagePullSecrets ?? []).Select(r => r.Name));
    }

    [Fact]
    public async Task Run_GlobSelectorAndServiceAccount_WritesExactBytesPatchesAccountAndSecondRunWritesNothing()
    {
        // Arrange
        var config = Config();
        var kubeconfig = Kubeconfig(_api.Url);

        // Act
        var first = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", config, "--kubeconfig", kubeconfig);
        var firstWrites = _api.Writes.Count;
        _api.ClearJournal();
        var second = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", config, "--kubeconfig", kubeconfig);

        // Assert
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("result: ok", first.Stdout, StringComparison.Ordinal);
        AssertServed("team-a");
        AssertServed("team-b");
        Assert.Null(_api.GetSecret("team-off", "regcred"));
        Assert.Null(_api.GetSecret("other", "regcred"));
        Assert.True(firstWrites >= 4, $"first run made {firstWrites} writes");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Empty(_api.Writes);
        Assert.DoesNotContain(Password, first.Stdout + first.Stderr + second.Stdout + second.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_KubeconfigExecPlugin_SendsThePluginTokenAndSucceeds()
    {
        // Arrange: the plugin prints an ExecCredential; a proxy in front of the fake refuses any other bearer token.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the plugin is a shell script");
        const string token = "exec-plugin-token-5b7c";
        var plugin = WriteFile("plugin.sh", $$$"""
            #!/bin/sh
            echo invoked >> "{{{_dir.FullName}}}/plugin-calls"
            cat <<'EOF'
            {"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"{{{token}}}","expirationTimestamp":"2099-01-01T00:00:00Z"}}
            EOF
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var refused = 0;
        await using var proxy = await BearerProxy.StartAsync(_api.Url, "Bearer " + token, () => Interlocked.Increment(ref refused));
        var kubeconfig = Kubeconfig(proxy.BaseAddress, $$$"""{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: "{{{plugin}}}", interactiveMode: Never}}""");

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", Config(), "--kubeconfig", kubeconfig);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine(_dir.FullName, "plugin-calls")), "the plugin was not run");
        Assert.Equal(0, Volatile.Read(ref refused));
        AssertServed("team-a");
    }

    [Fact]
    public async Task Daemon_LeaderElectedNamespaceCreatedAfterStart_GetsItsSecretAndSigtermExitsZero()
    {
        // Arrange
        _api.AddNamespace("kube-system");
        await using var daemon = RotatorProcess.Start(new Dictionary<string, string?> { ["POD_NAME"] = "published-daemon", ["Logging__LogLevel__SecretRotator"] = "Debug" },
            "daemon", "--config", Config(), "--kubeconfig", Kubeconfig(_api.Url), "--port", "0",
            "--leader-elect", "true", "--lease-namespace", "kube-system", "--lease-name", "secret-rotator");
        await WaitUntilAsync(daemon, () => _api.GetSecret("team-a", "regcred") is not null, "the first pass serves team-a");

        // Act: a namespace the watch must bring in, then the pod's stop signal.
        _api.AddNamespace("team-late", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        await WaitUntilAsync(daemon, () => _api.GetSecret("team-late", "regcred") is not null
            && (_api.GetServiceAccount("team-late", "default")?.ImagePullSecrets?.Count ?? 0) > 0, "the watch serves team-late");
        var lease = _api.GetLease("kube-system", "secret-rotator");
        await daemon.TerminateAsync();
        var exitCode = await daemon.WaitForExitAsync(Deadline);

        // Assert
        Assert.True(exitCode == 0, daemon.ToString());
        AssertServed("team-late");
        Assert.Equal("published-daemon", lease?.Spec.HolderIdentity);
        Assert.DoesNotContain("Exception", daemon.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_SigtermAfterFirstPass_ExitsZeroWithSecretsIntact()
    {
        // Arrange
        await using var daemon = RotatorProcess.Start(NoEnvironment(),
            "daemon", "--config", Config(), "--kubeconfig", Kubeconfig(_api.Url), "--port", "0", "--leader-elect", "false");
        await WaitUntilAsync(daemon, () => _api.GetSecret("team-a", "regcred") is not null && _api.GetSecret("team-b", "regcred") is not null,
            "the first pass serves team-a and team-b");
        await daemon.WaitForStderrAsync(s => s.Contains("First full pass done", StringComparison.Ordinal), Deadline, "the first pass is reported");

        // Act
        await daemon.TerminateAsync();
        var exitCode = await daemon.WaitForExitAsync(Deadline);

        // Assert
        Assert.True(exitCode == 0, daemon.ToString());
        AssertServed("team-a");
        AssertServed("team-b");
        Assert.DoesNotContain("Exception", daemon.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_Started_ServesHealthzAndMetrics()
    {
        // Arrange
        await using var daemon = RotatorProcess.Start(NoEnvironment(),
            "daemon", "--config", Config(), "--kubeconfig", Kubeconfig(_api.Url), "--port", "0", "--leader-elect", "false");
        var stderr = await daemon.WaitForStderrAsync(s => s.Contains("Serving /metrics", StringComparison.Ordinal), Deadline, "the daemon listens");
        var port = System.Text.RegularExpressions.Regex.Match(stderr, @"http://[^\s,]*:(\d+)").Groups[1].Value;
        await WaitUntilAsync(daemon, () => _api.GetSecret("team-b", "regcred") is not null, "the first pass serves team-b");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        // Act
        using var healthz = await http.GetAsync(new Uri("healthz", UriKind.Relative), Ct);
        var metrics = await http.GetStringAsync(new Uri("metrics", UriKind.Relative), Ct);

        // Assert
        Assert.True(healthz.IsSuccessStatusCode, $"{(int)healthz.StatusCode}\n{daemon}");
        Assert.Contains("# TYPE ", metrics, StringComparison.Ordinal);
        Assert.Contains("secret_rotator", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_ExplicitNamespaces_PrintsSecretYamlWithExactBytes()
    {
        // Arrange
        var config = Config("{names: [team-a, team-b]}");

        // Act
        var yaml = await RotatorProcess.RunAsync(NoEnvironment(), "render", "--config", config);
        var json = await RotatorProcess.RunAsync(NoEnvironment(), "render", "--config", config, "-o", "json");

        // Assert
        Assert.True(yaml.ExitCode == 0, yaml.ToString());
        var secrets = k8s.KubernetesYaml.LoadAllFromString(yaml.Stdout).Cast<V1Secret>().ToList();
        Assert.Equal(["team-a", "team-b"], secrets.Select(s => s.Metadata.NamespaceProperty));
        Assert.All(secrets, s => Assert.Equal(ExpectedDockerConfigJson, Encoding.UTF8.GetString(s.Data[".dockerconfigjson"])));
        Assert.True(json.ExitCode == 0, json.ToString());
        using var list = JsonDocument.Parse(json.Stdout);
        Assert.Equal("List", list.RootElement.GetProperty("kind").GetString());
        var items = list.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["team-a", "team-b"], items.Select(i => i.GetProperty("metadata").GetProperty("namespace").GetString()));
        Assert.All(items, i => Assert.Equal(ExpectedDockerConfigJson,
            Encoding.UTF8.GetString(Convert.FromBase64String(i.GetProperty("data").GetProperty(".dockerconfigjson").GetString()!))));
    }

    [Fact]
    public async Task Validate_GoodConfig_PrintsOkWithCounts()
    {
        // Arrange
        var config = Config();

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "validate", "--config", config);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"{config}: OK (1 registry, 1 secret)\n", result.Stdout);
    }

    [Fact]
    public async Task Validate_UnknownKey_Exits2NamingLineAndKey()
    {
        // Arrange
        var config = WriteFile("bad.yaml", """
            registries:
              - {name: hub, type: static, server: r.io, username: u, pasword: x}
            secrets: []
            """);

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "validate", "--config", config);

        // Assert
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("bad.yaml:2:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("pasword", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusJson_AfterRun_ListsServedSecretsAsOk()
    {
        // Arrange
        var config = Config();
        var kubeconfig = Kubeconfig(_api.Url);
        var run = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", config, "--kubeconfig", kubeconfig);
        Assert.True(run.ExitCode == 0, run.ToString());

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "status", "--config", config, "--kubeconfig", kubeconfig, "-o", "json");

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Empty(json.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("now").ValueKind);
        var secrets = json.RootElement.GetProperty("secrets").EnumerateArray().ToList();
        Assert.Equal(["team-a", "team-b"], secrets.Select(s => s.GetProperty("namespace").GetString()));
        Assert.All(secrets, s =>
        {
            Assert.Equal("regcred", s.GetProperty("name").GetString());
            Assert.Equal("ok", s.GetProperty("state").GetString());
            Assert.Equal(["hub"], s.GetProperty("registries").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal(JsonValueKind.String, s.GetProperty("rotatedAt").ValueKind);
        });
    }

    [Fact]
    public async Task ExplainJson_AfterRun_MatchesTheManagedSecretEntry()
    {
        // Arrange
        var kubeconfig = Kubeconfig(_api.Url);
        var run = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", Config(), "--kubeconfig", kubeconfig);
        Assert.True(run.ExitCode == 0, run.ToString());

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "explain", $"{Server}/team/app:1.0", "-n", "team-a", "--kubeconfig", kubeconfig, "-o", "json");

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal($"{Server}/team/app", root.GetProperty("repository").GetString());
        Assert.Equal("cluster", root.GetProperty("source").GetString());
        Assert.Equal(["ok"], root.GetProperty("pullSecrets").EnumerateArray().Select(s => s.GetProperty("state").GetString()));
        var match = root.GetProperty("match");
        Assert.Equal(("regcred", Server, "hub"),
            (match.GetProperty("secret").GetString(), match.GetProperty("server").GetString(), match.GetProperty("registry").GetString()));
        Assert.DoesNotContain(Password, result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EcrRegistry_SignsTheRequestAndWritesTheToken()
    {
        // Arrange
        var keys = new AwsTestKeys();
        await using var ecr = await FakeEcrServer.StartAsync(keys);
        ecr.ExpiresAtJson = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var config = WriteFile("ecr.yaml", """
            registries:
              - {name: prod-ecr, type: ecr, region: us-east-1, accounts: ["123456789012"]}
            secrets:
              - {name: ecrcred, registries: [prod-ecr], namespaces: {names: [team-a]}}
            """);
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = AwsTestKeys.Base.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = AwsTestKeys.Base.SecretAccessKey,
            ["AWS_SESSION_TOKEN"] = null,
            ["AWS_PROFILE"] = null,
            ["AWS_CONFIG_FILE"] = Path.Combine(_dir.FullName, "no-aws-config"),
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_dir.FullName, "no-aws-credentials"),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_ENDPOINT_URL_ECR"] = ecr.Address.ToString(),
        };

        // Act
        var result = await RotatorProcess.RunAsync(environment, "run", "--config", config, "--kubeconfig", Kubeconfig(_api.Url));

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var request = Assert.Single(ecr.Requests);
        Assert.Null(request.SignatureError);
        var secret = _api.GetSecret("team-a", "ecrcred");
        Assert.NotNull(secret);
        using var json = JsonDocument.Parse(secret.Data[".dockerconfigjson"]);
        var entry = json.RootElement.GetProperty("auths").GetProperty("123456789012.dkr.ecr.us-east-1.amazonaws.com");
        Assert.Equal("AWS", entry.GetProperty("username").GetString());
        Assert.Equal(ecr.Password, entry.GetProperty("password").GetString());
        Assert.DoesNotContain(ecr.Password, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GcrServiceAccountKey_SignsTheAssertionAndWritesTheToken()
    {
        // Arrange: Google's library reads the key file and the token response with Newtonsoft.Json's reflection.
        await using var google = await new GoogleFake().StartAsync();
        var key = WriteFile("key.json", google.KeyFileJson());
        var config = WriteFile("gcr.yaml", $$$"""
            registries:
              - {name: gar, type: gcr, servers: [us-docker.pkg.dev], credentialsFile: "{{{key}}}"}
            secrets:
              - {name: garcred, registries: [gar], namespaces: {names: [team-a]}}
            """);

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", config, "--kubeconfig", Kubeconfig(_api.Url));

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        var token = Assert.Single(google.IssuedTokens);
        var secret = _api.GetSecret("team-a", "garcred");
        Assert.NotNull(secret);
        using var json = JsonDocument.Parse(secret.Data[".dockerconfigjson"]);
        var entry = json.RootElement.GetProperty("auths").GetProperty("us-docker.pkg.dev");
        Assert.Equal("oauth2accesstoken", entry.GetProperty("username").GetString());
        Assert.Equal(token, entry.GetProperty("password").GetString());
        Assert.DoesNotContain(token, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Polls <paramref name="condition"/> until true; fails at the deadline or when the daemon exits first.</summary>
    private async Task WaitUntilAsync(RunningRotator daemon, Func<bool> condition, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (daemon.HasExited) throw new Xunit.Sdk.XunitException($"the daemon exited before: {what}\n{daemon}\n{ApiRequests()}");
            if (TimeProvider.System.GetElapsedTime(started) > Deadline) throw new Xunit.Sdk.XunitException($"not within {Deadline}: {what}\n{daemon}\n{ApiRequests()}");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>What the fake API server was asked, for failure messages.</summary>
    private string ApiRequests() => $"--- api ({_api.WatchStreamsOpened} watch streams opened)\n"
        + string.Join("\n", _api.Journal.Select(r => $"{r.StatusCode} {r.Verb} {r.Resource} {r.Namespace}/{r.Name} {r.Query}"));

    /// <summary>A loopback reverse proxy to the fake API server that answers 401 unless the Authorization header is the expected one.</summary>
    private static class BearerProxy
    {
        public static Task<LoopbackHost> StartAsync(Uri upstream, string authorization, Action refused)
        {
            var client = new HttpClient { BaseAddress = upstream };
            RequestDelegate forward = async context =>
            {
                if (context.Request.Headers.Authorization.ToString() != authorization)
                {
                    refused();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.ContentType = "application/json";
                    await context.Response.WriteAsync(
                        """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""",
                        context.RequestAborted);
                    return;
                }
                using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method),
                    new Uri(context.Request.Path.ToUriComponent().TrimStart('/') + context.Request.QueryString.ToUriComponent(), UriKind.Relative));
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted);
                if (body.Length > 0 || context.Request.ContentType is not null)
                {
                    request.Content = new ByteArrayContent(body.ToArray());
                    if (context.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                }
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
                context.Response.StatusCode = (int)response.StatusCode;
                if (response.Content.Headers.ContentType is { } contentType) context.Response.ContentType = contentType.ToString();
                await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            };
            return LoopbackHost.StartAsync(forward);
        }
    }
}
