; Inno Setup 6 script: Teleop Studio installer for Windows, from the PyInstaller one-folder bundle.
; Built by .github/workflows/package.yml (job windows):
;   iscc /DAppVersion=0.1.0 /DSourceDir=..\out\dist\teleop-studio /DIconFile=..\out\icons\teleop-studio.ico packaging\windows\teleop-studio.iss
; Per-machine install by default (lab machines); the dialog offers a per-user install without admin rights.

#ifndef AppVersion
  #error Pass the version from pyproject.toml: /DAppVersion=X.Y.Z
#endif
#ifndef SourceDir
  #define SourceDir "..\out\dist\teleop-studio"
#endif
#ifndef IconFile
  #define IconFile "..\out\icons\teleop-studio.ico"
#endif

[Setup]
AppId={{6D3C1E8A-4F0B-4C5E-9B7A-2E1D5F9C3A41}
AppName=Teleop Studio
AppVersion={#AppVersion}
AppPublisher=Teleop Studio
AppComments=Record, review and publish LeRobot datasets from an SO-101 arm rig and cameras
DefaultDirName={autopf}\Teleop Studio
DefaultGroupName=Teleop Studio
DisableProgramGroupPage=yes
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\out
OutputBaseFilename=teleop-studio-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\TeleopStudio.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the teleop-studio command to PATH (for scripts: teleop-studio record ...)"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Teleop Studio"; Filename: "{app}\TeleopStudio.exe"
Name: "{group}\Teleop Studio (simulated rig)"; Filename: "{app}\TeleopStudio.exe"; Parameters: "--sim"
Name: "{autodesktop}\Teleop Studio"; Filename: "{app}\TeleopStudio.exe"; Tasks: desktopicon

[Registry]
; PATH entry of the per-machine (HKLM) or per-user (HKCU) install; removed again by the uninstaller
Root: HKA; Subkey: "{code:EnvironmentKey}"; ValueType: expandsz; ValueName: "Path"; \
    ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\TeleopStudio.exe"; Description: "{cm:LaunchProgram,Teleop Studio}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; files the program may write beside itself; user data (datasets, settings, logs) lives in the user's folders
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
function EnvironmentKey(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Paths: String;
  RootKey: Integer;
begin
  if IsAdminInstallMode then RootKey := HKEY_LOCAL_MACHINE else RootKey := HKEY_CURRENT_USER;
  if not RegQueryStringValue(RootKey, EnvironmentKey(''), 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure RemovePath(Dir: String);
var
  Paths: String;
  P: Integer;
  RootKey: Integer;
begin
  if IsAdminInstallMode then RootKey := HKEY_LOCAL_MACHINE else RootKey := HKEY_CURRENT_USER;
  if not RegQueryStringValue(RootKey, EnvironmentKey(''), 'Path', Paths) then exit;
  P := Pos(';' + Uppercase(Dir), Uppercase(Paths));
  if P = 0 then exit;
  Delete(Paths, P, Length(Dir) + 1);
  RegWriteExpandStringValue(RootKey, EnvironmentKey(''), 'Path', Paths);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemovePath(ExpandConstant('{app}'));
end;
