namespace Liaa.Node.Wire;

/// <summary>PLACEHOLDER: the rpcudp datagram codec (issue 2).</summary>
public static class WireCodec
{
}
