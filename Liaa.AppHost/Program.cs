Console.WriteLine("Liaa.AppHost: the cluster orchestrator arrives with issue 5.");
