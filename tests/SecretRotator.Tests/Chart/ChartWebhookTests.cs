using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Chart;

/// <summary>The webhook's chart objects (webhook.enabled): registration, Service, TLS in both certificate modes.</summary>
public sealed class ChartWebhookTests
{
    private const string SelfSigned = "webhook-values.yaml";
    private const string CertManager = "webhook-cert-manager-values.yaml";
    private const string Service = HelmChart.Release + "-secret-rotator-webhook";
    private const string TlsSecret = HelmChart.Release + "-secret-rotator-webhook-tls";

    [Theory]
    [InlineData(SelfSigned)]
    [InlineData(CertManager)]
    public async Task Template_Webhook_RegistrationNeverBlocksAPod(string valueSet)
    {
        var configuration = (await HelmChart.TemplateAsync(valueSet)).Single<V1MutatingWebhookConfiguration>();

        Assert.Equal(["pods.secret-rotator.io", "serviceaccounts.secret-rotator.io"], configuration.Webhooks.Select(w => w.Name));
        Assert.All(configuration.Webhooks, w =>
        {
            Assert.Equal("Ignore", w.FailurePolicy);
            Assert.InRange(w.TimeoutSeconds ?? 30, 1, 5);
            Assert.Equal("NoneOnDryRun", w.SideEffects);
            Assert.Equal("IfNeeded", w.ReinvocationPolicy);
            Assert.Equal("Equivalent", w.MatchPolicy);
            Assert.Equal(["v1"], w.AdmissionReviewVersions);
            var rule = Assert.Single(w.Rules);
            Assert.Equal(["CREATE"], rule.Operations);
            Assert.Equal([""], rule.ApiGroups);
            Assert.Equal(["v1"], rule.ApiVersions);
            Assert.Equal("Namespaced", rule.Scope);
            Assert.Equal(w.Name.Split('.')[0], Assert.Single(rule.Resources));
            Assert.Equal($"/mutate/v1/{rule.Resources[0]}", w.ClientConfig.Service.Path);
            Assert.Equal((Service, HelmChart.Namespace, 443), (w.ClientConfig.Service.Name, w.ClientConfig.Service.NamespaceProperty, w.ClientConfig.Service.Port));
        });
    }

    [Fact]
    public async Task Template_Webhook_NamespaceSelectorLeavesOutOwnKubeSystemAndListed()
    {
        var configuration = (await HelmChart.TemplateAsync(SelfSigned)).Single<V1MutatingWebhookConfiguration>();

        Assert.All(configuration.Webhooks, w =>
        {
            var expression = Assert.Single(w.NamespaceSelector.MatchExpressions);
            Assert.Equal(("kubernetes.io/metadata.name", "NotIn"), (expression.Key, expression.OperatorProperty));
            Assert.Equal([HelmChart.Namespace, "kube-system", "monitoring", "cert-manager"], expression.Values);
        });
    }

    [Fact]
    public async Task Template_SelfSigned_CaBundleSignsTheServingCertificateForTheServiceName()
    {
        var rendered = await HelmChart.TemplateAsync(SelfSigned);

        var secret = rendered.Of<V1Secret>().Single(s => s.Metadata.Name == TlsSecret);
        var bundles = rendered.Single<V1MutatingWebhookConfiguration>().Webhooks.Select(w => w.ClientConfig.CaBundle).ToList();
        var caBundle = bundles[0];
        Assert.All(bundles, b => Assert.Equal(caBundle, b));
        using var ca = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(caBundle));
        using var serving = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(secret.Data["tls.crt"]), Encoding.ASCII.GetString(secret.Data["tls.key"]));
        Assert.Equal(caBundle, secret.Data["ca.crt"]);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(serving), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
        Assert.True(serving.MatchesHostname($"{Service}.{HelmChart.Namespace}.svc"));
    }

    [Fact]
    public async Task Template_CertManager_CertificateForTheServiceAndCaInjected()
    {
        var rendered = await HelmChart.TemplateAsync(CertManager);

        var certificate = rendered.Custom("Certificate")!.Node;
        var spec = (YamlMappingNode)certificate["spec"];
        Assert.Equal(TlsSecret, ((YamlScalarNode)spec["secretName"]).Value);
        Assert.Contains($"{Service}.{HelmChart.Namespace}.svc", ((YamlSequenceNode)spec["dnsNames"]).Select(n => ((YamlScalarNode)n).Value));
        Assert.NotNull(rendered.Custom("Issuer"));
        var configuration = rendered.Single<V1MutatingWebhookConfiguration>();
        Assert.Equal($"{HelmChart.Namespace}/{rendered.Custom("Certificate")!.Name}", configuration.Metadata.Annotations["cert-manager.io/inject-ca-from"]);
        Assert.All(configuration.Webhooks, w => Assert.Null(w.ClientConfig.CaBundle));
        Assert.DoesNotContain(rendered.Of<V1Secret>(), s => s.Metadata.Name == TlsSecret);
    }

    [Theory]
    [InlineData(SelfSigned)]
    [InlineData(CertManager)]
    public async Task Template_Webhook_DaemonServesItOnTheServicesTargetPort(string valueSet)
    {
        var rendered = await HelmChart.TemplateAsync(valueSet);

        var pod = rendered.Single<V1Deployment>().Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var args = container.Args.ToList();
        Assert.Equal("9443", args[args.IndexOf("--webhook-port") + 1]);
        var port = Assert.Single(container.Ports, p => p.Name == "webhook");
        Assert.Equal(9443, port.ContainerPort);
        var mount = Assert.Single(container.VolumeMounts, m => m.Name == "webhook-tls");
        Assert.Equal($"{mount.MountPath}/tls.crt", args[args.IndexOf("--tls-cert-file") + 1]);
        Assert.Equal($"{mount.MountPath}/tls.key", args[args.IndexOf("--tls-private-key-file") + 1]);
        Assert.Equal(TlsSecret, pod.Volumes.Single(v => v.Name == "webhook-tls").Secret.SecretName);
        var service = rendered.Of<V1Service>().Single(s => s.Metadata.Name == Service);
        Assert.Equal(("webhook", 443), (service.Spec.Ports.Single().TargetPort.Value, service.Spec.Ports.Single().Port));
    }

    [Theory]
    [InlineData("webhook.timeoutSeconds=10", "timeoutSeconds")]   // the API server would wait 10 s on every pod
    [InlineData("webhook.certManager.enable=true", "enable")]
    public async Task Template_BadWebhookValue_RejectedBySchema(string set, string named)
    {
        var result = await HelmChart.TemplateRawAsync("--set", "mode=daemon", "--set", set);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("schema", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_WebhookWithoutDaemonMode_Fails()
    {
        var result = await HelmChart.TemplateRawAsync("--set", "webhook.enabled=true");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("webhook.enabled needs mode: daemon", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_WebhookOff_RendersNoWebhookObjects()
    {
        var rendered = await HelmChart.TemplateAsync("daemon-values.yaml");

        Assert.Empty(rendered.Of<V1MutatingWebhookConfiguration>());
        Assert.DoesNotContain("--webhook-port", rendered.Single<V1Deployment>().Spec.Template.Spec.Containers.Single().Args);
    }
}
