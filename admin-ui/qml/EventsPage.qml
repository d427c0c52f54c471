import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import SocketIoAdmin.Models

// The event log: filters, search, pause and export.
Pane {
    id: page
    property AdminConnection connection: null
    readonly property EventLogFilterModel proxy: connection ? connection.eventLogFilter : null
    // each server has its own proxy: the filters shown apply to the one shown
    onProxyChanged: {
        if (!proxy)
            return
        proxy.searchText = searchField.text
        proxy.namespaceFilter = nspField.text
        proxy.eventFilter = eventField.text
        proxy.socketFilter = socketField.text
        proxy.direction = directionBox.currentIndex === 0 ? "" : directionBox.currentText
    }
    background: Rectangle { color: Theme.background }

    function typeColor(type) {
        switch (type) {
        case "event_received": return Theme.incoming
        case "event_sent": return Theme.outgoing
        case "connection": return Theme.good
        case "disconnection": return Theme.bad
        default: return Theme.mutedText
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: Theme.spacing
        PageHeader {
            title: "Events"
            subtitle: page.connection ? page.proxy.count + " shown of " + page.connection.eventLog.count
                                        + (page.connection.eventLog.paused ? " — paused, " + page.connection.eventLog.pendingCount + " waiting" : "") : ""
            notice: page.connection && !page.connection.developmentMode
                    ? "Production mode: the server does not report individual events." : ""
        }
        RowLayout {
            Layout.fillWidth: true
            TextField {
                id: searchField
                objectName: "eventSearch"
                Layout.fillWidth: true
                placeholderText: "Search"
                onTextChanged: if (page.proxy) page.proxy.searchText = text
            }
            TextField {
                id: nspField
                Layout.preferredWidth: 110
                placeholderText: "namespace"
                onTextChanged: if (page.proxy) page.proxy.namespaceFilter = text
            }
            TextField {
                id: eventField
                Layout.preferredWidth: 120
                placeholderText: "event"
                onTextChanged: if (page.proxy) page.proxy.eventFilter = text
            }
            TextField {
                id: socketField
                Layout.preferredWidth: 150
                placeholderText: "socket id"
                onTextChanged: if (page.proxy) page.proxy.socketFilter = text
            }
            ComboBox {
                id: directionBox
                model: ["all", "in", "out"]
                onActivated: if (page.proxy) page.proxy.direction = currentIndex === 0 ? "" : currentText
            }
            Button {
                objectName: "pauseButton"
                text: page.connection && page.connection.eventLog.paused ? "Resume" : "Pause"
                onClicked: page.connection.eventLog.paused = !page.connection.eventLog.paused
            }
        }
        RowLayout {
            Layout.fillWidth: true
            TextField { id: exportPath; Layout.fillWidth: true; text: "events.json"; placeholderText: "export file" }
            Button {
                text: "Export shown events"
                onClicked: exportStatus.text = page.proxy && page.proxy.exportToFile(exportPath.text)
                           ? "exported to " + exportPath.text : "export failed"
            }
            Label { id: exportStatus; color: Theme.mutedText }
        }
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            radius: Theme.radius
            color: Theme.surface
            border.color: Theme.border
            ListView {
                id: list
                objectName: "eventList"
                anchors.fill: parent
                anchors.margins: 1
                clip: true
                model: page.proxy
                reuseItems: true
                ScrollBar.vertical: ScrollBar {}
                onCountChanged: if (atYEnd || count < 50) positionViewAtEnd()
                delegate: Rectangle {
                    id: eventRow
                    required property int index
                    required property string timeText
                    required property string type
                    required property string nsp
                    required property string socketId
                    required property string eventName
                    required property string args
                    width: ListView.view.width
                    height: Theme.rowHeight
                    color: index % 2 ? Theme.rowAlt : Theme.surface
                    Row {
                        anchors.verticalCenter: parent.verticalCenter
                        spacing: Theme.spacing
                        leftPadding: Theme.spacing
                        Label { width: 95; text: eventRow.timeText; font.family: Theme.monoFont; color: Theme.mutedText }
                        Rectangle {
                            width: 110; height: 20; radius: 10
                            color: page.typeColor(eventRow.type)
                            Label { anchors.centerIn: parent; text: eventRow.type; color: "white"; font.pixelSize: Theme.smallFontSize }
                        }
                        Label { width: 70; text: eventRow.nsp; elide: Text.ElideRight }
                        Label { width: 180; text: eventRow.socketId; font.family: Theme.monoFont; elide: Text.ElideRight }
                        Label { width: 120; text: eventRow.eventName; font.bold: true; elide: Text.ElideRight }
                        Label { width: 400; text: eventRow.args; font.family: Theme.monoFont; elide: Text.ElideRight; color: Theme.mutedText }
                    }
                }
            }
        }
    }
}
