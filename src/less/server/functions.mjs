// The image-size(), image-width() and image-height() Less functions, reading
// images through the protocol file manager; main() (server.mjs) registers
// them at start-up.

import { less, lessRequire } from './load-less.mjs';

// ---------------------------------------------------- image-size() functions

/**
 * less.js's node image-size() functions read the image from disk themselves;
 * these do the same through the file manager (so through the protocol).
 */
export function imageSizeFunctions() {
    const lessUtils = less.utils;
    const readImage = (functionContext, filePathNode) => {
        let filePath = filePathNode.value;
        const fileInfo = functionContext.currentFileInfo;
        const currentDirectory = fileInfo.rewriteUrls ? fileInfo.currentDirectory : fileInfo.entryPath;
        const fragmentStart = filePath.indexOf('#');
        if (fragmentStart !== -1) {
            filePath = filePath.slice(0, fragmentStart);
        }
        const env = less.environment;
        const fileManager = env.getFileManager(filePath, currentDirectory, functionContext.context, env, true);
        if (!fileManager) {
            throw { type: 'File', message: `Can not set up FileManager for ${filePathNode}` };
        }
        const context = lessUtils.clone(functionContext.context);
        context.rawBuffer = true;
        const file = fileManager.loadFileSync(filePath, currentDirectory, context, env);
        if (file.error) {
            throw file.error;
        }
        return { filePath, bytes: file.contents };
    };
    const imageSize = (functionContext, filePathNode) => {
        const { filePath, bytes } = readImage(functionContext, filePathNode);
        let probe;
        try {
            probe = lessRequire('probe-image-size/sync');
        } catch (_) {
            return { width: 0, height: 0 };
        }
        const size = probe(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
        if (!size) {
            throw { type: 'File', message: `Unrecognised image format for '${filePath}'` };
        }
        return { width: size.width, height: size.height };
    };
    const { Dimension, Expression } = less.tree;
    return {
        'image-size': function (filePathNode) {
            const size = imageSize(this, filePathNode);
            return new Expression([new Dimension(size.width, 'px'), new Dimension(size.height, 'px')]);
        },
        'image-width': function (filePathNode) {
            return new Dimension(imageSize(this, filePathNode).width, 'px');
        },
        'image-height': function (filePathNode) {
            return new Dimension(imageSize(this, filePathNode).height, 'px');
        }
    };
}
