; Inno Setup script: per-user install of the PyInstaller bundle (build/dist/fieldsupport).
; Build on Windows after `python installer\build.py`:   iscc installer\windows\fieldsupport.iss
; The uninstaller removes the program only: the user's workspace (case files, photos,
; reports) lives in %LOCALAPPDATA%\FieldSupport and is never touched.
#define AppVersion "0.1.0"

[Setup]
AppId={{5E4A2C1B-8F3D-4B7A-9C61-FA1E2D3C4B5A}
AppName=FieldSupport
AppVersion={#AppVersion}
AppVerName=FieldSupport {#AppVersion}
AppPublisher=FieldSupport
VersionInfoVersion={#AppVersion}
VersionInfoProductName=FieldSupport
DefaultDirName={localappdata}\Programs\FieldSupport
DefaultGroupName=FieldSupport
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\build
OutputBaseFilename=FieldSupport-{#AppVersion}-setup
SetupIconFile=..\..\build\fieldsupport.ico
UninstallDisplayIcon={app}\fieldsupport.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesInstallIn64BitMode=x64compatible

[Files]
Source: "..\..\build\dist\fieldsupport\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\FieldSupport"; Filename: "{app}\fieldsupport.exe"
Name: "{group}\Uninstall FieldSupport"; Filename: "{uninstallexe}"
Name: "{userdesktop}\FieldSupport"; Filename: "{app}\fieldsupport.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop icon"; Flags: unchecked

[Run]
Filename: "{app}\fieldsupport.exe"; Description: "Start FieldSupport"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; only what the program itself created next to its files; never the workspace
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
