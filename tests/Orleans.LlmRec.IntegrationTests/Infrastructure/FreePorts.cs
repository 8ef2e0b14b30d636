using System.Net;
using System.Net.Sockets;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

internal static class FreePorts
{
    /// <summary>Distinct loopback ports free right now (the OS picks them; another process could still take one).</summary>
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
