// Composition only: the command line and the run loop live in Orchestration/.
return await Liaa.AppHost.Orchestration.AppHostCommandLine.RunAsync(args);
