import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Rooms with their members; room-wide actions where the server allows them.
Pane {
    id: page
    property AdminConnection connection: null
    property bool showPrivate: false
    background: Rectangle { color: Theme.background }

    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.spacing
        PageHeader {
            title: "Rooms"
            subtitle: page.connection ? page.connection.rooms.count + " rooms (including each socket's own room)" : ""
            notice: page.connection && !page.connection.developmentMode
                    ? "Production mode: the server does not report rooms." : ""
        }
        CheckBox { id: privateBox; text: "Show private rooms (each socket's own)"; checked: page.showPrivate; onToggled: page.showPrivate = checked }
        ListView {
            objectName: "roomList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            // the gap between rows is inside each delegate: a hidden (private) row takes no
            // space at all, where the view's spacing would still add up for each of them
            spacing: 0
            model: page.connection ? page.connection.rooms : null
            ScrollBar.vertical: ScrollBar {}
            delegate: Item {
                id: roomRow
                required property int index
                required property string name
                required property string nsp
                required property bool isPrivate
                required property int socketCount
                required property var socketIds
                width: ListView.view.width
                height: visible ? 56 : 0
                visible: page.showPrivate || !isPrivate
                Rectangle {
                    anchors.fill: parent
                    anchors.bottomMargin: 4
                    radius: Theme.radius
                    color: Theme.surface
                    border.color: Theme.border
                    RowLayout {
                        anchors.fill: parent
                        anchors.margins: Theme.spacing
                        spacing: Theme.padding
                        ColumnLayout {
                            Layout.fillWidth: true
                            spacing: 0
                            Label { text: roomRow.name + (roomRow.isPrivate ? "  (private)" : ""); font.bold: true; font.family: Theme.monoFont }
                            Label {
                                Layout.fillWidth: true
                                text: roomRow.nsp + " · " + roomRow.socketCount + " socket(s): " + roomRow.socketIds.join(", ")
                                color: Theme.mutedText
                                elide: Text.ElideRight
                            }
                        }
                        Button {
                            text: "Emit…"
                            visible: page.connection !== null && page.connection.canEmit
                            onClicked: { emitDialog.nsp = roomRow.nsp; emitDialog.target = roomRow.name; emitDialog.open() }
                        }
                        Button {
                            text: "Clear"
                            visible: page.connection !== null && page.connection.canLeaveRoom && !roomRow.isPrivate
                            onClicked: page.connection.leaveRoom(roomRow.nsp, roomRow.name)
                        }
                        Button {
                            text: "Disconnect all"
                            visible: page.connection !== null && page.connection.canDisconnectRoom
                            onClicked: page.connection.disconnectSockets(roomRow.nsp, roomRow.name, false)
                        }
                    }
                }
            }
        }
    }
    EmitDialog { id: emitDialog; connection: page.connection; anchors.centerIn: Overlay.overlay }
}
