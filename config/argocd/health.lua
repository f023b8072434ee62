-- Argo CD health check for mlops.mlops.dev/NotebookValidationJob (argocd-cm key
-- resource.customizations.health.mlops.mlops.dev_NotebookValidationJob; see argocd-cm.yaml).
-- A finished validation is Healthy (Succeeded) or Degraded (Failed); every other phase, and a
-- job the operator has not picked up yet, is Progressing.
local hs = {}
local phase = nil
local message = nil
if obj.status ~= nil then
  phase = obj.status.phase
  message = obj.status.message
end
if phase == "Succeeded" then
  hs.status = "Healthy"
  hs.message = message or "Notebook validation succeeded"
elseif phase == "Failed" then
  hs.status = "Degraded"
  hs.message = message or "Notebook validation failed"
else
  hs.status = "Progressing"
  if phase == nil then
    hs.message = "Waiting for the nbv operator"
  else
    hs.message = message or ("Phase " .. phase)
  end
end
return hs
