using System.Globalization;
using k8s.KubeConfigModels;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Reads a kubeconfig into the client library's <see cref="K8SConfiguration"/> by walking YamlDotNet's representation
/// model, field by field, under the same keys as the library's <c>[YamlMember]</c> aliases. No reflection: the
/// library's reader and YamlDotNet's <c>DeserializerBuilder</c> inspect the model types at run time, which costs
/// start-up and cannot be compiled ahead of time (Native AOT: docs/performance.md). Unknown keys are ignored, as
/// kubectl does; a value of the wrong shape is a <see cref="FormatException"/> naming the key and line.
/// </summary>
public static class KubeconfigYaml
{
    /// <summary>The first document of <paramref name="text"/>; null when the file holds no document or only null.</summary>
    public static K8SConfiguration? Read(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode)) return null;
        var root = Mapping(stream.Documents[0].RootNode, "kubeconfig");
        var d = new K8SConfiguration();
        return new K8SConfiguration
        {
            ApiVersion = String(root, "apiVersion", d.ApiVersion),
            Kind = String(root, "kind", d.Kind),
            CurrentContext = String(root, "current-context", d.CurrentContext),
            Preferences = Field(root, "preferences", d.Preferences, n => StringKeyed(Mapping(n, "preferences"))),
            Clusters = List(root, "clusters", d.Clusters, Cluster),
            Users = List(root, "users", d.Users, User),
            Contexts = List(root, "contexts", d.Contexts, Context),
            Extensions = Extensions(root, d.Extensions),
        };
    }

    private static Cluster Cluster(YamlMappingNode node)
    {
        var d = new Cluster();
        return new Cluster { Name = String(node, "name", d.Name), ClusterEndpoint = Object(node, "cluster", d.ClusterEndpoint, ClusterEndpoint) };
    }

    private static ClusterEndpoint ClusterEndpoint(YamlMappingNode c)
    {
        var d = new ClusterEndpoint();
        return new ClusterEndpoint
        {
            Server = String(c, "server", d.Server),
            CertificateAuthority = String(c, "certificate-authority", d.CertificateAuthority),
            CertificateAuthorityData = String(c, "certificate-authority-data", d.CertificateAuthorityData),
            TlsServerName = String(c, "tls-server-name", d.TlsServerName),
            SkipTlsVerify = Bool(c, "insecure-skip-tls-verify", d.SkipTlsVerify),
            Extensions = Extensions(c, d.Extensions),
        };
    }

    private static Context Context(YamlMappingNode node)
    {
        var d = new Context();
        return new Context
        {
            Name = String(node, "name", d.Name),
            Extensions = Extensions(node, d.Extensions),
            ContextDetails = Object(node, "context", d.ContextDetails, c =>
            {
                var dd = new ContextDetails();
                return new ContextDetails
                {
                    Cluster = String(c, "cluster", dd.Cluster),
                    User = String(c, "user", dd.User),
                    Namespace = String(c, "namespace", dd.Namespace),
                    Extensions = Extensions(c, dd.Extensions),
                };
            }),
        };
    }

    private static User User(YamlMappingNode node)
    {
        var d = new User();
        return new User { Name = String(node, "name", d.Name), UserCredentials = Object(node, "user", d.UserCredentials, UserCredentials) };
    }

    private static UserCredentials UserCredentials(YamlMappingNode u)
    {
        var d = new UserCredentials();
        return new UserCredentials
        {
            ClientCertificateData = String(u, "client-certificate-data", d.ClientCertificateData),
            ClientCertificate = String(u, "client-certificate", d.ClientCertificate),
            ClientKeyData = String(u, "client-key-data", d.ClientKeyData),
            ClientKey = String(u, "client-key", d.ClientKey),
            Token = String(u, "token", d.Token),
            Impersonate = String(u, "as", d.Impersonate),
            ImpersonateGroups = Field(u, "as-groups", d.ImpersonateGroups, n => Strings(n, "as-groups")),
            ImpersonateUserExtra = Field(u, "as-user-extra", d.ImpersonateUserExtra, n => StringMap(n, "as-user-extra")),
            UserName = String(u, "username", d.UserName),
            Password = String(u, "password", d.Password),
            AuthProvider = Object(u, "auth-provider", d.AuthProvider, a =>
            {
                var da = new AuthProvider();
                return new AuthProvider { Name = String(a, "name", da.Name), Config = Field(a, "config", da.Config, n => StringMap(n, "config")) };
            }),
            Extensions = Extensions(u, d.Extensions),
            ExternalExecution = Object(u, "exec", d.ExternalExecution, ExternalExecution),
        };
    }

    private static ExternalExecution ExternalExecution(YamlMappingNode e)
    {
        var d = new ExternalExecution();
        return new ExternalExecution
        {
            ApiVersion = String(e, "apiVersion", d.ApiVersion),
            Command = String(e, "command", d.Command),
            Arguments = Field(e, "args", d.Arguments, n => Strings(n, "args")),
            EnvironmentVariables = Field(e, "env", d.EnvironmentVariables, n => Sequence(n, "env").Select(v => StringMap(v, "env")).ToList()),
            InstallHint = String(e, "installHint", d.InstallHint),
            ProvideClusterInfo = Bool(e, "provideClusterInfo", d.ProvideClusterInfo),
        };
    }

    private static List<NamedExtension>? Extensions(YamlMappingNode parent, IEnumerable<NamedExtension>? absent) =>
        List(parent, "extensions", absent, e =>
        {
            var d = new NamedExtension();
            return new NamedExtension { Name = String(e, "name", d.Name), Extension = Field<object?>(e, "extension", (object?)d.Extension, Value) };
        });

    /// <summary>
    /// One field, as YamlDotNet sets a property: an absent key leaves the model's default, an explicit null
    /// (<c>key:</c>, <c>~</c>, <c>null</c>) sets null, anything else is read.
    /// </summary>
    private static T? Field<T>(YamlMappingNode parent, string key, T? absent, Func<YamlNode, T> read) =>
        !parent.Children.TryGetValue(new YamlScalarNode(key), out var node) ? absent
        : IsNull(node) ? default
        : read(node);

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string? String(YamlMappingNode parent, string key, string? absent) =>
        Field(parent, key, absent, node => node is YamlScalarNode scalar ? scalar.Value : throw Wrong(key, node, "a string"));

    /// <summary>YAML 1.1 booleans, as YamlDotNet reads them for the library's <c>bool</c> fields.</summary>
    private static bool Bool(YamlMappingNode parent, string key, bool absent) =>
        !parent.Children.ContainsKey(new YamlScalarNode(key)) ? absent
        : String(parent, key, null)?.ToLowerInvariant() switch
        {
            null or "false" or "no" or "n" or "off" => false,
            "true" or "yes" or "y" or "on" => true,
            var text => throw new FormatException($"{key}: '{text}' is not true or false"),
        };

    private static T? Object<T>(YamlMappingNode parent, string key, T? absent, Func<YamlMappingNode, T> read) where T : class =>
        Field(parent, key, absent, node => read(Mapping(node, key)));

    private static List<T>? List<T>(YamlMappingNode parent, string key, IEnumerable<T>? absent, Func<YamlMappingNode, T> read) =>
        Field(parent, key, absent?.ToList(), node => Sequence(node, key).Select(item => read(Mapping(item, key))).ToList());

    private static List<string> Strings(YamlNode node, string key) =>
        Sequence(node, key).Select(item => item is YamlScalarNode scalar ? scalar.Value ?? "" : throw Wrong(key, item, "a string")).ToList();

    private static Dictionary<string, string> StringMap(YamlNode node, string key) =>
        Mapping(node, key).Children.ToDictionary(
            kv => kv.Key is YamlScalarNode k ? k.Value ?? "" : throw Wrong(key, kv.Key, "a string key"),
            kv => kv.Value is YamlScalarNode v ? v.Value ?? "" : throw Wrong(key, kv.Value, "a string"),
            StringComparer.Ordinal);

    private static Dictionary<string, object> StringKeyed(YamlMappingNode node) =>
        node.Children.ToDictionary(kv => kv.Key is YamlScalarNode k ? k.Value ?? "" : kv.Key.ToString(), kv => Value(kv.Value)!, StringComparer.Ordinal);

    /// <summary>A free-form value (preferences, extensions): strings, lists and maps, as YamlDotNet gives <c>object</c>.</summary>
    private static object? Value(YamlNode node) => node switch
    {
        _ when IsNull(node) => null,
        YamlScalarNode scalar => scalar.Value,
        YamlSequenceNode sequence => sequence.Children.Select(Value).ToList(),
        YamlMappingNode mapping => mapping.Children.ToDictionary(kv => Value(kv.Key)!, kv => Value(kv.Value)),
        _ => null,
    };

    private static YamlMappingNode Mapping(YamlNode node, string key) =>
        node as YamlMappingNode ?? throw Wrong(key, node, "a mapping");

    private static IEnumerable<YamlNode> Sequence(YamlNode node, string key) =>
        (node as YamlSequenceNode ?? throw Wrong(key, node, "a list")).Children;

    private static FormatException Wrong(string key, YamlNode node, string expected) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{key} (line {node.Start.Line}) must be {expected}"));
}
