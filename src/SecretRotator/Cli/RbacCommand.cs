using System.CommandLine;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Rbac;

namespace SecretRotator.Cli;

/// <summary>
/// Prints the least-privilege RBAC a config needs (ClusterRole or one Role per namespace, with bindings to the
/// rotator's ServiceAccount), for people who deploy without the Helm chart. Rules: <see cref="RbacRules"/>.
/// </summary>
internal sealed class RbacCommand(CliOptions o, TextWriter stdout, TextWriter stderr, Action<IServiceCollection>? configure, Func<string, string?> environment)
{
    public async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        await using var services = CommandServices.Build(parse, o, configure, environment);
        var config = await CommandServices.LoadConfigAsync(services, parse.GetValue(o.Config), stderr);
        if (config is null) return CliApp.ExitUsage;
        var scope = parse.GetValue(o.RbacScope) == "namespaced" ? RbacScope.Namespaced : RbacScope.Cluster;
        var daemon = parse.GetValue(o.RbacDaemon);
        var account = new Rbacv1Subject
        {
            Kind = "ServiceAccount",
            Name = parse.GetValue(o.ServiceAccount) ?? "secret-rotator",
            NamespaceProperty = parse.GetValue(o.ServiceAccountNamespace) ?? "secret-rotator",
        };
        var name = account.Name;

        IReadOnlyList<RbacGrant> grants;
        try
        {
            grants = RbacRules.For(config, scope, daemon, parse.GetValue(o.TypeRepair));
        }
        catch (InvalidOperationException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return CliApp.ExitUsage;
        }

        var documents = new List<object>();
        foreach (var grant in grants)
        {
            if (grant.Namespace is null)
            {
                documents.Add(new V1ClusterRole { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRole", Metadata = new() { Name = name }, Rules = [.. grant.Rules] });
                documents.Add(new V1ClusterRoleBinding
                {
                    ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRoleBinding", Metadata = new() { Name = name },
                    RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = name }, Subjects = [account],
                });
            }
            else
            {
                documents.AddRange(RoleAndBinding(name, grant.Namespace, grant.Rules, account));
            }
        }
        if (daemon)
            documents.AddRange(RoleAndBinding($"{name}-leader-election", account.NamespaceProperty, RbacRules.LeaseRules(parse.GetValue(o.RbacLeaseName) ?? name), account));

        await stdout.WriteAsync(string.Join("---\n", documents.Select(d => ManifestYaml.Serialize(d).TrimEnd('\n') + "\n")).AsMemory(), cancellationToken);
        return CliApp.ExitOk;
    }

    private static object[] RoleAndBinding(string name, string ns, IReadOnlyList<V1PolicyRule> rules, Rbacv1Subject account) =>
    [
        new V1Role { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "Role", Metadata = new() { Name = name, NamespaceProperty = ns }, Rules = [.. rules] },
        new V1RoleBinding
        {
            ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "RoleBinding", Metadata = new() { Name = name, NamespaceProperty = ns },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = name }, Subjects = [account],
        },
    ];
}
