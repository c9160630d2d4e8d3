@"%~dp0kubectl-svcgw.exe" __complete %*
