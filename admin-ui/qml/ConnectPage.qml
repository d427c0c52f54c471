import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Login form: server URL, path, admin namespace, WebSocket only, credentials; saved servers.
Pane {
    id: page
    property ConnectionList connections: null
    readonly property AdminConnection connection: connections ? connections.current : null
    signal connected()

    background: Rectangle { color: Theme.background }

    // what the system keychain refused (no Secret Service, a locked keyring): said here, or a
    // password that was never stored would look like wrong credentials on the next start
    property string keychainError: ""
    Connections {
        target: page.connections
        function onCredentialError(message) { page.keychainError = message }
    }
    Connections {
        target: page.connections ? page.connections.credentialStore : null
        function onErrorOccurred(key, message) { page.keychainError = message }
    }

    Connections {
        target: page.connection
        function onStateChanged() {
            if (page.connection.state === AdminConnection.Connected) {
                page.keychainError = ""   // said once; a new login starts afresh
                page.connected()
            }
        }
    }

    function submit() {
        if (!connections) return
        var c = connections.addConnection(urlField.text, pathField.text, nspField.text, wsOnly.checked,
                                          userField.text)
        for (var i = 0; i < connections.count; ++i) {
            if (connections.at(i) === c) {
                connections.currentIndex = i
                connections.connectTo(i, passwordField.text, remember.checked)
            }
        }
        passwordField.text = ""
    }

    RowLayout {
        anchors.fill: parent
        spacing: 24

        Rectangle {
            Layout.preferredWidth: 420
            Layout.alignment: Qt.AlignTop
            implicitHeight: form.implicitHeight + 2 * Theme.padding
            radius: Theme.radius
            color: Theme.surface
            border.color: Theme.border
            ColumnLayout {
                id: form
                anchors.fill: parent
                anchors.margins: Theme.padding
                spacing: Theme.spacing
                PageHeader { title: "Connect to a server"; subtitle: "A Socket.IO server with the admin namespace" }
                Label { text: "Server URL" }
                TextField {
                    id: urlField
                    objectName: "urlField"
                    Layout.fillWidth: true
                    placeholderText: "http://localhost:3000"
                    text: page.connection ? page.connection.url : "http://localhost:3000"
                }
                GridLayout {
                    columns: 2
                    Layout.fillWidth: true
                    Label { text: "Path" }
                    Label { text: "Admin namespace" }
                    TextField { id: pathField; Layout.fillWidth: true; text: page.connection ? page.connection.path : "/socket.io" }
                    TextField { id: nspField; Layout.fillWidth: true; text: page.connection ? page.connection.namespaceName : "/admin" }
                }
                CheckBox {
                    id: wsOnly
                    text: "WebSocket only"
                    checked: page.connection ? page.connection.websocketOnly : false
                }
                Label { text: "Username (empty if the server has no authentication)" }
                TextField {
                    id: userField
                    objectName: "userField"
                    Layout.fillWidth: true
                    text: page.connection ? page.connection.username : ""
                }
                Label { text: "Password" }
                TextField {
                    id: passwordField
                    objectName: "passwordField"
                    Layout.fillWidth: true
                    echoMode: TextInput.Password
                    onAccepted: page.submit()
                }
                CheckBox {
                    id: remember
                    objectName: "rememberPassword"
                    text: "Remember the password (system keychain)"
                    // not without a keychain (--no-keychain)
                    visible: page.connections !== null && page.connections.credentialStore !== null
                }
                Label {
                    objectName: "keychainError"
                    Layout.fillWidth: true
                    visible: page.keychainError.length > 0
                    text: "System keychain: " + page.keychainError
                          + " (passwords and session ids are not kept; enter the password each time)"
                    color: Theme.warning
                    wrapMode: Text.Wrap
                }
                Label {
                    objectName: "loginError"
                    Layout.fillWidth: true
                    visible: page.connection !== null && page.connection.errorString.length > 0
                    text: !page.connection ? ""
                          : page.connection.invalidCredentials ? "Invalid credentials: check the username and password."
                          : page.connection.errorString
                    color: page.connection && page.connection.state === AdminConnection.Failed ? Theme.bad : Theme.warning
                    wrapMode: Text.Wrap
                }
                RowLayout {
                    Button {
                        text: "Connect"
                        highlighted: true
                        onClicked: page.submit()
                    }
                    BusyIndicator {
                        running: page.connection !== null && (page.connection.state === AdminConnection.Connecting
                                                              || page.connection.state === AdminConnection.Reconnecting)
                        implicitWidth: 28; implicitHeight: 28
                    }
                }
            }
        }

        ColumnLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            PageHeader { title: "Servers"; subtitle: "Settings are saved; passwords and sessions live in the keychain" }
            ListView {
                Layout.fillWidth: true
                Layout.fillHeight: true
                clip: true
                model: page.connections
                spacing: 4
                delegate: Rectangle {
                    required property int index
                    required property string name
                    required property string stateText
                    width: ListView.view.width
                    height: 44
                    radius: Theme.radius
                    color: page.connections.currentIndex === index ? Theme.selection : Theme.surface
                    border.color: Theme.border
                    RowLayout {
                        anchors.fill: parent
                        anchors.margins: Theme.spacing
                        Rectangle { width: 10; height: 10; radius: 5; color: Theme.stateColor(stateText) }
                        Label { text: name; Layout.fillWidth: true; elide: Text.ElideRight }
                        Label { text: stateText; color: Theme.mutedText }
                        Button { text: "Connect"; onClicked: { page.connections.currentIndex = index; page.connections.connectTo(index) } }
                        Button { text: "Remove"; onClicked: page.connections.removeConnection(index) }
                    }
                    MouseArea { anchors.fill: parent; z: -1; onClicked: page.connections.currentIndex = index }
                }
            }
        }
    }
}
