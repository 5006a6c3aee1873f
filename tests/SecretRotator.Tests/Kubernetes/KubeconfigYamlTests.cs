using k8s.KubeConfigModels;
using SecretRotator.Kubernetes;
using YamlDotNet.Serialization;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>The hand-written kubeconfig mapping gives what YamlDotNet's reflection deserializer gives for the library's model.</summary>
public sealed class KubeconfigYamlTests
{
    private const string EveryField = """
        apiVersion: v1
        kind: Config
        current-context: main
        preferences: {colors: true, extensions: [{name: p, extension: {a: b}}]}
        clusters:
          - name: one
            cluster:
              server: https://one.example:6443
              certificate-authority: /etc/ca.crt
              certificate-authority-data: Q0EK
              tls-server-name: api.one.example
              insecure-skip-tls-verify: true
              extensions: [{name: ext, extension: {kind: X, items: [1, two]}}]
          - name: two
            cluster: {server: "https://two.example", insecure-skip-tls-verify: false}
        users:
          - name: cert
            user:
              client-certificate: /etc/client.crt
              client-certificate-data: Q0VSVAo=
              client-key: /etc/client.key
              client-key-data: S0VZCg==
              as: admin
              as-groups: [system:masters, ops]
              as-user-extra: {reason: test}
          - name: basic
            user: {username: bob, password: "p@ss: word", token: tok}
          - name: oidc
            user:
              auth-provider: {name: oidc, config: {client-id: abc, idp-issuer-url: "https://issuer"}}
          - name: exec
            user:
              exec:
                apiVersion: client.authentication.k8s.io/v1
                command: aws
                args: [eks, get-token, --cluster-name, prod]
                env: [{name: AWS_PROFILE, value: prod}, {name: EMPTY, value: ""}]
                installHint: install the aws cli
                provideClusterInfo: true
          - name: nothing
            user:
        contexts:
          - name: main
            context: {cluster: one, user: cert, namespace: team-a, extensions: [{name: c, extension: plain}]}
          - name: bare
            context: {cluster: two, user: ~}
        extensions: [{name: top, extension: ~}]
        unknown-key: {ignored: true}
        """;

    [Theory]
    [InlineData(EveryField)]
    [InlineData("apiVersion: v1\nclusters: []\nusers:\ncontexts: ~\n")]
    [InlineData("current-context: x\nusers: [{name: u, user: {token: 't'}}]\n")]
    [InlineData("clusters: [{name: c, cluster: {insecure-skip-tls-verify: yes}}]\n")]
    public void Read_Kubeconfig_SameAsReflectionDeserializer(string text)
    {
        var expected = new DeserializerBuilder().IgnoreUnmatchedProperties().Build().Deserialize<K8SConfiguration>(text);

        var actual = KubeconfigYaml.Read(text);

        Assert.NotNull(actual);
        Assert.Equal(Canonical(expected), Canonical(actual));
    }

    [Fact]
    public void Read_EveryField_MapsTheValues()
    {
        var config = KubeconfigYaml.Read(EveryField)!;

        var exec = config.Users.Single(u => u.Name == "exec").UserCredentials.ExternalExecution;
        Assert.Equal(["eks", "get-token", "--cluster-name", "prod"], exec.Arguments);
        Assert.Equal("", exec.EnvironmentVariables[1]["value"]);
        Assert.True(exec.ProvideClusterInfo);
        Assert.True(config.Clusters.First().ClusterEndpoint.SkipTlsVerify);
        Assert.Equal("p@ss: word", config.Users.Single(u => u.Name == "basic").UserCredentials.Password);
        Assert.Null(config.Users.Single(u => u.Name == "nothing").UserCredentials);
    }

    [Theory]
    [InlineData("")]
    [InlineData("~\n")]
    [InlineData("# only a comment\n")]
    public void Read_NoDocument_ReturnsNull(string text)
    {
        Assert.Null(KubeconfigYaml.Read(text));
    }

    [Theory]
    [InlineData("clusters: 5\n", "clusters (line 1) must be a list")]
    [InlineData("clusters: [{name: a, cluster: [x]}]\n", "cluster (line 1) must be a mapping")]
    [InlineData("users:\n  - name: u\n    user: {as-groups: {a: b}}\n", "as-groups (line 3) must be a list")]
    [InlineData("clusters: [{cluster: {insecure-skip-tls-verify: maybe}}]\n", "'maybe' is not true or false")]
    public void Read_WrongShape_ThrowsNamingKeyAndLine(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => KubeconfigYaml.Read(text));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    /// <summary>Both models written back out by YamlDotNet's serializer: equal text means equal fields, nested values included.</summary>
    private static string Canonical(K8SConfiguration config) => new SerializerBuilder().Build().Serialize(config);
}
