using Polly.Timeout;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

public sealed class KubernetesErrorsTests
{
    [Fact]
    public void Describe_EveryTryTimedOut_IsATimeoutNotUnreachable()
    {
        var e = new HttpRequestException("Kubernetes API PUT /x did not respond within 00:00:30 (5 attempts)", new TimeoutRejectedException());

        var (reason, _) = KubernetesErrors.Describe(e, "update", "secrets", "default");

        Assert.Equal("timeout", reason);
    }

    [Fact]
    public void Describe_ConnectionRefused_IsUnreachable()
    {
        var (reason, message) = KubernetesErrors.Describe(new HttpRequestException("Connection refused"), "create", "secrets", "team-a");

        Assert.Equal("unreachable", reason);
        Assert.Contains("Connection refused", message);
    }

    [Fact]
    public void Forbidden_InNamespace_NamesVerbResourceNamespaceAndRule()
    {
        var message = KubernetesErrors.Forbidden("update", "serviceaccounts", "team-a");

        Assert.Contains("cannot update serviceaccounts in namespace team-a", message);
        Assert.Contains("resources: [\"serviceaccounts\"], verbs: [\"update\"]", message);
    }
}
