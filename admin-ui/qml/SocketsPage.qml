import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// Sortable, filterable socket table with a detail panel.
Pane {
    id: page
    property AdminConnection connection: null
    readonly property SocketsFilterModel proxy: connection ? connection.socketsFilter : null
    // each server has its own proxy: the filters shown apply to the one shown
    // (the namespaces differ from server to server: back to all of them)
    onProxyChanged: {
        if (!proxy)
            return
        proxy.filterText = filterField.text
        nspBox.currentIndex = 0
        proxy.namespaceFilter = ""
    }
    property string selectedNsp
    property string selectedId
    background: Rectangle { color: Theme.background }

    readonly property var columns: [
        { field: "socketId", title: "ID", width: 190 },
        { field: "clientId", title: "Client", width: 120 },
        { field: "transport", title: "Transport", width: 90 },
        { field: "nsp", title: "Namespace", width: 100 },
        { field: "address", title: "Address", width: 140 },
        { field: "rooms", title: "Rooms", width: 200 }
    ]

    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.spacing
        PageHeader {
            title: "Sockets"
            subtitle: page.proxy ? page.proxy.count + " shown of " + page.connection.sockets.count : ""
            notice: page.connection && !page.connection.developmentMode
                    ? "Production mode: the server does not report individual sockets." : ""
        }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                id: filterField
                objectName: "socketFilter"
                Layout.fillWidth: true
                placeholderText: "Filter by id, client, transport, namespace, address or room"
                onTextChanged: if (page.proxy) page.proxy.filterText = text
            }
            ComboBox {
                id: nspBox
                model: page.connection ? [""].concat(page.connection.namespaces.names) : [""]
                displayText: currentText === "" ? "all namespaces" : currentText
                onActivated: if (page.proxy) page.proxy.namespaceFilter = currentText
            }
        }
        RowLayout {
            Layout.fillWidth: true
            Layout.fillHeight: true
            spacing: Theme.padding
            Rectangle {
                Layout.fillWidth: true
                Layout.fillHeight: true
                radius: Theme.radius
                color: Theme.surface
                border.color: Theme.border
                ColumnLayout {
                    anchors.fill: parent
                    anchors.margins: 1
                    spacing: 0
                    Row {
                        Layout.fillWidth: true
                        height: Theme.rowHeight
                        Repeater {
                            model: page.columns
                            delegate: Button {
                                required property var modelData
                                width: modelData.width
                                height: Theme.rowHeight
                                flat: true
                                text: modelData.title + (page.proxy && page.proxy.sortField === modelData.field
                                                         ? (page.proxy.descending ? " ▼" : " ▲") : "")
                                onClicked: {
                                    if (!page.proxy) return
                                    if (page.proxy.sortField === modelData.field)
                                        page.proxy.descending = !page.proxy.descending
                                    else
                                        page.proxy.sortField = modelData.field
                                }
                            }
                        }
                    }
                    Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
                    ListView {
                        id: list
                        objectName: "socketList"
                        Layout.fillWidth: true
                        Layout.fillHeight: true
                        clip: true
                        model: page.proxy
                        reuseItems: true
                        ScrollBar.vertical: ScrollBar {}
                        delegate: Rectangle {
                            id: row
                            required property int index
                            required property string socketId
                            required property string clientId
                            required property string transport
                            required property string nsp
                            required property string address
                            required property string roomsText
                            width: ListView.view.width
                            height: Theme.rowHeight
                            color: page.selectedId === socketId && page.selectedNsp === nsp ? Theme.selection
                                   : index % 2 ? Theme.rowAlt : Theme.surface
                            Row {
                                anchors.verticalCenter: parent.verticalCenter
                                Repeater {
                                    model: [row.socketId, row.clientId, row.transport, row.nsp, row.address, row.roomsText]
                                    delegate: Label {
                                        required property int index
                                        required property string modelData
                                        width: page.columns[index].width
                                        leftPadding: 8
                                        text: modelData
                                        elide: Text.ElideRight
                                        font.family: index < 2 ? Theme.monoFont : font.family
                                        font.pixelSize: Theme.fontSize
                                    }
                                }
                            }
                            MouseArea {
                                anchors.fill: parent
                                onClicked: { page.selectedNsp = row.nsp; page.selectedId = row.socketId }
                            }
                        }
                    }
                }
            }
            SocketDetail {
                objectName: "socketDetail"
                Layout.preferredWidth: 340
                Layout.fillHeight: true
                connection: page.connection
                nsp: page.selectedNsp
                socketId: page.selectedId
            }
        }
    }
}
