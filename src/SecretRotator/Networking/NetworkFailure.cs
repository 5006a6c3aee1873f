using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;
using Polly.Timeout;

namespace SecretRotator.Networking;

/// <summary>
/// What went wrong on the wire, in words an operator reads: "connection refused", "TLS handshake failed: ...",
/// "connection closed before a response". The outer HttpRequestException only says "An error occurred while sending
/// the request", so the cause is taken from the innermost exception that knows it.
/// </summary>
public static class NetworkFailure
{
    public static string Describe(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case TimeoutRejectedException t:
                    return $"no response within {t.Timeout.TotalSeconds:0.###} s";
                case SocketException s:
                    return s.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.ConnectionReset => "connection reset",
                        SocketError.TimedOut => "connection timed out",
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "host not found (DNS)",
                        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
                        _ => OneLine(s.Message),
                    };
                case AuthenticationException a:
                    // The inner exception says why: untrusted root, name mismatch, expired, wrong protocol.
                    return $"TLS handshake failed: {OneLine(a.InnerException?.Message ?? a.Message)}";
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return "connection closed before a response";
            }
        }
        var innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return OneLine(innermost.Message);
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
