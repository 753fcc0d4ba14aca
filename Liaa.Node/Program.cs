// Composition only: the command line is defined in Hosting/NodeCommandLine.cs.
return await Liaa.Node.Hosting.NodeCommandLine.RunAsync(args);
