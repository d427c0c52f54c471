// socketio-dashboard: monitors Socket.IO servers through their admin namespace
// (@socket.io/admin-ui protocol). See --help.
#include "connectionlist.h"
#include "credentialstore.h"

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickStyle>
#include <QTextStream>
#include <QtQml/qqmlextensionplugin.h>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(SocketIoAdmin_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(SocketIoAdminPlugin)

using namespace Qt::StringLiterals;
using SocketIo::Dashboard::ConnectionList;
using SocketIo::Dashboard::CredentialStore;

int main(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(u"libsocketio"_s);
    QCoreApplication::setApplicationName(u"socketio-dashboard"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Monitors Socket.IO servers instrumented with @socket.io/admin-ui (Node.js) or "
        "SocketIo::Instrumentation (libsocketio)."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption urlOption(u"url"_s, u"Server to monitor, e.g. http://localhost:3000 (repeatable)."_s,
                                       u"URL"_s);
    const QCommandLineOption nspOption(u"namespace"_s, u"Admin namespace (default /admin)."_s, u"NSP"_s,
                                       u"/admin"_s);
    const QCommandLineOption pathOption(u"path"_s, u"Socket.IO path (default /socket.io)."_s, u"PATH"_s,
                                        u"/socket.io"_s);
    const QCommandLineOption wsOption(u"ws-only"_s, u"Use WebSocket only (no HTTP long-polling)."_s);
    const QCommandLineOption userOption(u"user"_s,
                                        u"Admin user name; the password comes from the keychain, or from "
                                        "--password-stdin."_s,
                                        u"NAME"_s);
    const QCommandLineOption stdinOption(u"password-stdin"_s, u"Read the admin password from the first line "
                                                              "of standard input."_s);
    const QCommandLineOption rememberOption(u"remember"_s, u"Store the password given on standard input in the "
                                                           "keychain."_s);
    const QCommandLineOption noKeychainOption(u"no-keychain"_s, u"Do not use the system keychain."_s);
    const QCommandLineOption settingsOption(u"settings"_s, u"Settings file (INI) instead of the default."_s,
                                            u"FILE"_s);
    parser.addOptions({urlOption, nspOption, pathOption, wsOption, userOption, stdinOption, rememberOption,
                       noKeychainOption, settingsOption});
    // parsed before the GUI application exists, so that --help works without a display
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    if (!parser.parse(arguments)) {
        std::fprintf(stderr, "%s\n", qPrintable(parser.errorText()));
        return 2;
    }
    if (parser.isSet(u"help"_s) || parser.isSet(u"help-all"_s)) {
        std::printf("%s", qPrintable(parser.helpText().replace(u"<executable_name>"_s, u"socketio-dashboard"_s)));
        return 0;
    }
    if (parser.isSet(u"version"_s)) {
        std::printf("socketio-dashboard %s\n", qPrintable(QCoreApplication::applicationVersion()));
        return 0;
    }

    QGuiApplication app(argc, argv);

    QString password;
    if (parser.isSet(stdinOption)) {
        QTextStream in(stdin);
        password = in.readLine();
    }

    if (qEnvironmentVariableIsEmpty("QT_QUICK_CONTROLS_STYLE"))
        QQuickStyle::setStyle(u"Fusion"_s);

    std::unique_ptr<CredentialStore> store;
    if (!parser.isSet(noKeychainOption))
        store = std::make_unique<CredentialStore>();
    ConnectionList connections(parser.value(settingsOption), store.get());

    // saved servers first; --url adds (or reuses) entries and connects them, the first one shown
    connections.loadSettings();
    int first = -1;
    for (const QString &u : parser.values(urlOption)) {
        const QUrl url = QUrl::fromUserInput(u);
        if (!url.isValid()) {
            std::fprintf(stderr, "invalid URL: %s\n", qPrintable(u));
            return 2;
        }
        const auto *c = connections.addConnection(url, parser.value(pathOption), parser.value(nspOption),
                                                  parser.isSet(wsOption), parser.value(userOption));
        int row = 0;
        while (connections.at(row) != c)
            ++row;
        connections.connectTo(row, password, parser.isSet(rememberOption));
        if (first < 0)
            first = row;
    }
    if (first >= 0)
        connections.setCurrentIndex(first);
    else if (connections.count() > 0)
        connections.connectTo(connections.currentIndex());   // the last session, from the keychain

    QQmlApplicationEngine engine;
    engine.addImportPath(u"qrc:/qt/qml"_s);
    engine.setInitialProperties({{u"connections"_s, QVariant::fromValue(&connections)}});
    engine.load(QUrl(u"qrc:/qt/qml/SocketIoAdmin/Main.qml"_s));
    if (engine.rootObjects().isEmpty())
        return 1;
    return app.exec();
}
