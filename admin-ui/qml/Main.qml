import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// The dashboard window: server selector and navigation on the left, one page at a time.
ApplicationWindow {
    id: window
    required property ConnectionList connections
    readonly property AdminConnection connection: connections ? connections.current : null
    property int page: connection && connection.state !== AdminConnection.Failed ? 1 : 0

    width: 1200
    height: 760
    visible: true
    title: "Socket.IO dashboard" + (connection ? " — " + connection.displayName : "")
    color: Theme.background

    // a refused login (an expired session, a changed password) brings the login form back
    Connections {
        target: window.connection
        function onStateChanged() {
            if (window.connection.state === AdminConnection.Failed)
                window.page = 0
        }
    }

    readonly property var pageNames: ["Connect", "Overview", "Sockets", "Rooms", "Clients", "Events", "Servers"]

    RowLayout {
        anchors.fill: parent
        spacing: 0

        Rectangle {
            Layout.fillHeight: true
            Layout.preferredWidth: 210
            color: Theme.sidebar
            ColumnLayout {
                anchors.fill: parent
                anchors.margins: Theme.padding
                spacing: Theme.spacing
                Label {
                    text: "Socket.IO admin"
                    color: Theme.sidebarText
                    font.pixelSize: 16
                    font.bold: true
                }
                ComboBox {
                    Layout.fillWidth: true
                    model: window.connections
                    textRole: "name"
                    currentIndex: window.connections.currentIndex
                    onActivated: (index) => window.connections.currentIndex = index
                    visible: window.connections.count > 0
                }
                Row {
                    spacing: 6
                    Rectangle {
                        width: 10; height: 10; radius: 5
                        anchors.verticalCenter: parent.verticalCenter
                        color: Theme.stateColor(window.connection ? window.connection.stateText : "")
                    }
                    Label {
                        text: window.connection ? window.connection.stateText : "no server"
                        color: Theme.sidebarText
                    }
                }
                Repeater {
                    model: window.pageNames
                    delegate: ItemDelegate {
                        required property int index
                        required property string modelData
                        Layout.fillWidth: true
                        highlighted: window.page === index
                        enabled: index === 0 || window.connection !== null
                        contentItem: Label {
                            text: parent.modelData
                            color: Theme.sidebarText
                            font.bold: parent.highlighted
                        }
                        background: Rectangle {
                            color: parent.highlighted ? Theme.sidebarSelected : "transparent"
                            radius: Theme.radius
                        }
                        onClicked: window.page = index
                    }
                }
                Item { Layout.fillHeight: true }
                Label {
                    visible: window.connection !== null && window.connection.supportedFeatures.length > 0
                             && !window.connection.developmentMode
                    text: "production mode"
                    color: Theme.warning
                }
                Label {
                    visible: window.connection !== null && window.connection.supportedFeatures.length > 0
                             && window.connection.readonly
                    text: "read-only server"
                    color: Theme.sidebarText
                }
            }
        }

        StackLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            currentIndex: window.page
            // from the login form to the overview; a reconnection elsewhere leaves the page alone
            ConnectPage { connections: window.connections; onConnected: if (window.page === 0) window.page = 1 }
            OverviewPage { connection: window.connection }
            SocketsPage { connection: window.connection }
            RoomsPage { connection: window.connection }
            ClientsPage { connection: window.connection }
            EventsPage { connection: window.connection }
            ServersPage { connection: window.connection }
        }
    }
}
