using System.Diagnostics;
using System.Net;
using System.Text;

namespace SecretRotator.Bench.Scale;

/// <summary>
/// The same first-run work done the way peer tools do it: for each namespace, for each secret, GET then
/// POST (absent) or PUT (present), then GET and PUT the service account; one request at a time.
/// </summary>
internal static class PeerTool
{
    public static async Task<TimeSpan> RunAsync(Uri api, IReadOnlyList<string> namespaces, IReadOnlyList<string> secrets, string dockerConfigJson)
    {
        using var http = new HttpClient { BaseAddress = api };
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(dockerConfigJson));
        var sw = Stopwatch.StartNew();
        foreach (var ns in namespaces)
        {
            foreach (var name in secrets)
            {
                var body = $$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"{{{data}}}"}}""";
                using var get = await http.GetAsync($"api/v1/namespaces/{ns}/secrets/{name}");
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var write = get.StatusCode == HttpStatusCode.NotFound
                    ? await http.PostAsync($"api/v1/namespaces/{ns}/secrets", content)
                    : await http.PutAsync($"api/v1/namespaces/{ns}/secrets/{name}", content);
                write.EnsureSuccessStatusCode();
            }
            using var sa = await http.GetAsync($"api/v1/namespaces/{ns}/serviceaccounts/default");
            var pulls = string.Join(",", secrets.Select(s => $$"""{"name":"{{s}}"}"""));
            var account = $$$"""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default","namespace":"{{{ns}}}"},"imagePullSecrets":[{{{pulls}}}]}""";
            using var saContent = new StringContent(account, Encoding.UTF8, "application/json");
            using var put = await http.PutAsync($"api/v1/namespaces/{ns}/serviceaccounts/default", saContent);
            put.EnsureSuccessStatusCode();
        }
        return sw.Elapsed;
    }
}
