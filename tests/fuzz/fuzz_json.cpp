// libFuzzer target for the JSON reader/writer (protocol/json).
//
// Anything read must write to JSON that reads back, and writing that again must give the same
// bytes (write is a fixed point of read), with no raw control character in the output.
#include "protocol/json.h"

#include <cstdlib>

using namespace SocketIo::Protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QCborValue value;
    QString error;
    if (!Json::read(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)), &value, &error)) {
        if (error.isEmpty())
            abort();
        return 0;
    }
    const QByteArray first = Json::write(value);
    for (char c : first) {
        if (uchar(c) < 0x20)
            abort();
    }
    QCborValue again;
    if (!Json::read(first, &again))
        abort();
    if (Json::write(again) != first)
        abort();
    return 0;
}
