import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Title line of a page, with an optional subtitle and a notice (e.g. production mode).
ColumnLayout {
    property string title
    property string subtitle
    property string notice
    spacing: 2
    Label {
        text: parent.title
        font.pixelSize: Theme.titleFontSize
        font.bold: true
        color: Theme.text
    }
    Label {
        visible: text.length > 0
        text: parent.subtitle
        color: Theme.mutedText
        font.pixelSize: Theme.fontSize
    }
    Label {
        visible: text.length > 0
        text: parent.notice
        color: Theme.warning
        font.pixelSize: Theme.fontSize
        wrapMode: Text.Wrap
        Layout.fillWidth: true
    }
}
